"""The asm/ switch stubs, tested without Python in the loop.

tests/native/switch_harness.c drives actors_switch_stack through many
greenlet-style stack-slicing switches and checks that callee-saved registers,
FP rounding modes, stack contents and recursion survive.  It is built

* natively with the stub for this machine and run;
* for arm64, riscv64 and ppc64le with the Debian cross compilers (static) and
  run under qemu-user;

and the Mach-O stubs (which cannot run here) are assembled with clang, their
symbol checked, and their machine code compared with the ELF stub of the same
architecture, which the harness does run.

Missing tools make the tests fail, not skip, unless ACTORS_SKIP_CROSS=1.
"""

import os
import platform
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ASM = ROOT / "asm"
HARNESS = ROOT / "tests" / "native" / "switch_harness.c"
SWITCHES = 100000
SKIP_CROSS = os.environ.get("ACTORS_SKIP_CROSS") == "1"
COMPILE_TIMEOUT = 180
RUN_TIMEOUT = 300

# arch -> (stub, cross compiler, qemu-user binary, Debian packages)
CROSS = {
    "arm64": ("switch_arm64_aapcs_elf_gas.S", "aarch64-linux-gnu-gcc",
              "qemu-aarch64", "gcc-aarch64-linux-gnu libc6-dev-arm64-cross"),
    "riscv64": ("switch_riscv64_sysv_elf_gas.S", "riscv64-linux-gnu-gcc",
                "qemu-riscv64", "gcc-riscv64-linux-gnu libc6-dev-riscv64-cross"),
    "ppc64le": ("switch_ppc64le_sysv_elf_gas.S", "powerpc64le-linux-gnu-gcc",
                "qemu-ppc64le", "gcc-powerpc64le-linux-gnu libc6-dev-ppc64el-cross"),
}

# platform.machine() -> arch name used above
MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64",
            "arm64": "arm64", "riscv64": "riscv64", "ppc64le": "ppc64le"}


def _tool(names, packages):
    """Path of the first of names on PATH; fail (or skip with
    ACTORS_SKIP_CROSS=1) with the Debian packages to install."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    msg = (f"{' / '.join(names)} not found: install the Debian package(s) "
           f"{packages} (listed in .ci/debian-packages.txt), "
           f"or set ACTORS_SKIP_CROSS=1 to skip this test")
    if SKIP_CROSS:
        pytest.skip(msg)
    pytest.fail(msg)


def _run(cmd, timeout, what):
    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} timed out after {timeout}s: {' '.join(map(str, cmd))}")
    if proc.returncode != 0:
        pytest.fail(f"{what} failed with exit status {proc.returncode}: "
                    f"{' '.join(map(str, cmd))}\n--- stdout\n{proc.stdout}"
                    f"\n--- stderr\n{proc.stderr}")
    return proc


def _build_and_run(cc, stub, opt, tmp_path, runner=(), static=False):
    exe = tmp_path / "switch_harness"
    cmd = [cc, *opt.split(), "-std=c99", "-Wall", "-Wextra",
           HARNESS, ASM / stub, "-o", exe, "-lm"]
    if static:
        cmd.insert(1, "-static")
    _run(cmd, COMPILE_TIMEOUT, "compiling the harness")
    proc = _run([*runner, exe, str(SWITCHES)], RUN_TIMEOUT, "the harness")
    out = proc.stdout.strip().splitlines()
    # "switch_harness: N switches ok (...)"; N is SWITCHES plus the few
    # switches that let the last coroutines finish
    words = out[-1].split() if out else []
    assert words[:1] == ["switch_harness:"] and words[2:4] == ["switches", "ok"], proc.stdout
    assert int(words[1]) >= SWITCHES, proc.stdout
    return out[-1]


def _native_arch():
    return MACHINES.get(platform.machine().lower())


def _native_stub():
    arch = _native_arch()
    if sys.platform == "darwin":
        return {"x86_64": "switch_x86_64_sysv_macho_gas.S",
                "arm64": "switch_arm64_aapcs_macho_gas.S"}.get(arch)
    if sys.platform.startswith("linux"):
        if arch == "x86_64":
            return "switch_x86_64_sysv_elf_gas.S"
        if arch in CROSS:
            return CROSS[arch][0]
    return None


# ---- native --------------------------------------------------------------

@pytest.mark.parametrize("opt", ["-O2", "-O0", "-O3 -fno-omit-frame-pointer",
                                 "-O2 -fomit-frame-pointer"])
def test_native_harness(opt, tmp_path):
    stub = _native_stub()
    if stub is None:
        pytest.skip(f"no switch stub for {sys.platform}/{platform.machine()}")
    cc = _tool([os.environ.get("CC", "cc"), "gcc", "cc"], "gcc")
    line = _build_and_run(cc, stub, opt, tmp_path)
    print(line)


# ---- cross-compiled, run under qemu-user ------------------------------------

@pytest.mark.parametrize("opt", ["-O2", "-O0"])
@pytest.mark.parametrize("arch", sorted(CROSS))
def test_cross_harness_qemu(arch, opt, tmp_path):
    stub, gcc, qemu, packages = CROSS[arch]
    cc = _tool([gcc], packages)
    if _native_arch() == arch and sys.platform.startswith("linux"):
        runner = ()                     # this machine runs it directly
    else:
        runner = (_tool([qemu, qemu + "-static"], "qemu-user"),)
    line = _build_and_run(cc, stub, opt, tmp_path, runner, static=True)
    print(line)


# ---- object file checks ------------------------------------------------------

def _elf_sections(data):
    """{name: (type, bytes)} of an ELF64 little-endian object."""
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = []
    for i in range(shnum):
        name, typ, _flags, _addr, off, size, link = struct.unpack_from(
            "<IIQQQQI", data, shoff + i * shentsize)
        headers.append((name, typ, off, size, link))
    stroff = headers[shstrndx][2]

    def cstr(base, idx):
        return data[base + idx:data.index(b"\0", base + idx)].decode()
    return headers, {cstr(stroff, h[0]): h for h in headers}, cstr


def _elf_check(path):
    """The stub's .text bytes; asserts a hidden global actors_switch_stack
    and a non-executable-stack note."""
    data = path.read_bytes()
    headers, sections, cstr = _elf_sections(data)
    assert ".note.GNU-stack" in sections, "no .note.GNU-stack section"
    symtab = next(h for h in headers if h[1] == 2)      # SHT_SYMTAB
    strtab_off = headers[symtab[4]][2]
    found = False
    for off in range(symtab[2], symtab[2] + symtab[3], 24):
        st_name, st_info, st_other, st_shndx = struct.unpack_from("<IBBH", data, off)
        if st_name and cstr(strtab_off, st_name) == "actors_switch_stack":
            found = True
            assert st_info >> 4 == 1, "actors_switch_stack is not global"
            assert st_other & 3 == 2, "actors_switch_stack is not hidden"
            assert st_shndx != 0, "actors_switch_stack is undefined"
    assert found, "no actors_switch_stack symbol"
    text = sections[".text"]
    return data[text[2]:text[2] + text[3]]


def _macho_check(path, cputype):
    """The __text bytes of a 64-bit Mach-O object; asserts the cpu type, a
    private-extern defined _actors_switch_stack and no undefined symbols."""
    data = path.read_bytes()
    magic, cpu, _sub, filetype, ncmds = struct.unpack_from("<IiiII", data, 0)
    assert magic == 0xFEEDFACF, "not a 64-bit Mach-O object"
    assert cpu == cputype and filetype == 1, (hex(cpu), filetype)
    text = symtab = None
    off = 32
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from("<II", data, off)
        if cmd == 0x19:                                   # LC_SEGMENT_64
            nsects, = struct.unpack_from("<I", data, off + 64)
            for s in range(nsects):
                so = off + 72 + 80 * s
                sect = data[so:so + 16].rstrip(b"\0").decode()
                size, foff = struct.unpack_from("<QI", data, so + 40)
                if sect == "__text":
                    text = data[foff:foff + size]
        elif cmd == 0x2:                                  # LC_SYMTAB
            symtab = struct.unpack_from("<IIII", data, off + 8)
        off += cmdsize
    assert text is not None and symtab is not None
    symoff, nsyms, stroff, _strsize = symtab
    syms = {}
    for i in range(nsyms):
        strx, ntype, nsect = struct.unpack_from("<IBB", data, symoff + 16 * i)
        name = data[stroff + strx:data.index(b"\0", stroff + strx)].decode()
        syms[name] = (ntype, nsect)
        assert ntype & 0x0E != 0x0 or not ntype & 0x01, f"undefined symbol {name}"
    assert "_actors_switch_stack" in syms, sorted(syms)
    ntype, nsect = syms["_actors_switch_stack"]
    assert ntype & 0x0E == 0x0E and nsect == 1, "not defined in __text"
    assert ntype & 0x01, "not external"
    assert ntype & 0x10, "not private extern"
    return text


@pytest.mark.parametrize("stub,cc", [
    ("switch_x86_64_sysv_elf_gas.S", None),
    *[(CROSS[arch][0], arch) for arch in sorted(CROSS)],
])
def test_elf_stub_object(stub, cc, tmp_path):
    """Each ELF stub assembles to a hidden global symbol with a
    non-executable stack note."""
    if cc is None:
        compiler = (_tool(["gcc", "cc"], "gcc") if _native_arch() == "x86_64"
                    else _tool(["x86_64-linux-gnu-gcc"], "gcc-x86-64-linux-gnu"))
    else:
        compiler = _tool([CROSS[cc][1]], CROSS[cc][3])
    obj = tmp_path / "stub.o"
    _run([compiler, "-c", ASM / stub, "-o", obj], COMPILE_TIMEOUT, "assembling")
    assert len(_elf_check(obj)) > 0


MACHO = [
    # Mach-O stub, clang target, cpu type, ELF twin, clang ELF target
    ("switch_x86_64_sysv_macho_gas.S", "x86_64-apple-macos11", 0x01000007,
     "switch_x86_64_sysv_elf_gas.S", "x86_64-linux-gnu"),
    ("switch_arm64_aapcs_macho_gas.S", "arm64-apple-macos11", 0x0100000C,
     "switch_arm64_aapcs_elf_gas.S", "aarch64-linux-gnu"),
]


@pytest.mark.parametrize("stub,target,cputype,twin,twin_target", MACHO)
def test_macho_stub_assembles(stub, target, cputype, twin, twin_target, tmp_path):
    """The Mach-O stubs cannot run here: assemble them with clang, check the
    symbol, and check their instructions are byte for byte those of the ELF
    stub for the same CPU, which the harness runs (natively or under qemu)."""
    clang = _tool(["clang"], "clang")
    obj = tmp_path / "macho.o"
    _run([clang, "-target", target, "-c", ASM / stub, "-o", obj],
         COMPILE_TIMEOUT, "assembling the Mach-O stub")
    text = _macho_check(obj, cputype)
    elf = tmp_path / "elf.o"
    _run([clang, "-target", twin_target, "-c", ASM / twin, "-o", elf],
         COMPILE_TIMEOUT, "assembling the ELF twin")
    assert text == _elf_check(elf), (
        f"{stub} and {twin} assemble to different machine code")
