"""Build: compile cython_src/ together with the switch stub for this platform.

ACTORS_SWITCH_STUB=<file in asm/>  overrides the stub the build would pick.
ACTORS_BUILD_NATIVE=0               builds without the native core; the
                                    package then runs on the greenlet backend.
"""
import os
import platform
import struct
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))

# (machine, os, pointer bits) -> stub; the names follow boost.context's.
STUBS = {
    ("x86_64", "linux", 64): "switch_x86_64_sysv_elf_gas.S",
    ("aarch64", "linux", 64): "switch_arm64_aapcs_elf_gas.S",
    ("riscv64", "linux", 64): "switch_riscv64_sysv_elf_gas.S",
    ("ppc64le", "linux", 64): "switch_ppc64le_sysv_elf_gas.S",
    ("x86_64", "darwin", 64): "switch_x86_64_sysv_macho_gas.S",
    ("arm64", "darwin", 64): "switch_arm64_aapcs_macho_gas.S",
}
MACHINE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


def pick_stub():
    override = os.environ.get("ACTORS_SWITCH_STUB")
    if override:
        return os.path.basename(override), "ACTORS_SWITCH_STUB"
    machine = platform.machine().lower()
    system = sys.platform
    if system.startswith("linux"):
        system, machine = "linux", MACHINE_ALIASES.get(machine, machine)
    key = (machine, system, struct.calcsize("P") * 8)
    return STUBS.get(key), "platform %s/%s/%d-bit" % key


class BuildExt(build_ext):
    def build_extensions(self):
        # distutils compiles .S (preprocessed assembly) with the C compiler
        # once it knows the extension.
        self.compiler.src_extensions.append(".S")
        super().build_extensions()


def extensions():
    if os.environ.get("ACTORS_BUILD_NATIVE", "1") == "0":
        print("actors: ACTORS_BUILD_NATIVE=0, building without the native "
              "core (greenlet backend)")
        return []
    stub, why = pick_stub()
    if stub is None or not os.path.exists(os.path.join(HERE, "asm", stub)):
        supported = "\n  ".join("%s %s %d-bit: %s" % (k + (v,))
                                for k, v in sorted(STUBS.items()))
        sys.exit("actors: no switch stub for %s.\nSupported:\n  %s\n"
                 "Set ACTORS_BUILD_NATIVE=0 to build without the native core "
                 "(greenlet backend), or ACTORS_SWITCH_STUB=<file> to force one."
                 % (why, supported))
    print("actors: switch stub asm/%s (chosen by %s)" % (stub, why))
    from Cython.Build import cythonize

    debug = os.environ.get("ACTORS_DEBUG") == "1"
    ext = Extension(
        "actors._core",
        sources=["cython_src/_core.pyx", "asm/" + stub],
        include_dirs=["cython_src/includes"],
        extra_compile_args=["-O0", "-g", "-fno-omit-frame-pointer"] if debug
        else ["-O2"],
    )
    return cythonize([ext], language_level=3, include_path=["cython_src", "cython_src/includes"],
                     compiler_directives={"binding": False})


setup(ext_modules=extensions(), cmdclass={"build_ext": BuildExt})
