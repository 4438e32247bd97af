"""Build: the actor runtime, natively and over greenlet.

Two extensions share the runtime's source (cython_src/runtime.pxi):

  actors._core           the native core: tasklets on heap-sliced C stacks,
                         switched by this platform's asm stub (asm/), with
                         thread-state code for this CPython version
                         (cython_src/includes/pystate_compat.h)
  actors._core_greenlet  the same runtime over the greenlet package: no
                         stub, no interpreter internals; always built

The native core is built when there is a stub for this platform and a
thread-state header for this interpreter; otherwise the package runs on
actors._core_greenlet (actors.BACKEND == "greenlet").  The build prints
which it built and why, and records it in actors/_buildinfo.py.

ACTORS_BUILD_NATIVE=0     do not build the native core
ACTORS_BUILD_NATIVE=1     the native core is required: fail if it cannot be
                          built (default: build it when possible)
ACTORS_SWITCH_STUB=<file in asm/>  overrides the stub the build would pick.
ACTORS_DEBUG=1            -O0 -g
ACTORS_OBSERVE=0          benchmarks only: compile out what observability
                          adds to the hot paths (counters, reductions,
                          scheduler ticks and idle time, the ask-cycle
                          check, the tracing tests); metrics() then reads
                          zeros.  bench_overhead.py builds its baseline so
                          (cython_src/observe.pxi).
"""
import os
import platform
import pprint
import struct
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.dist import Distribution
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDES = os.path.join("cython_src", "includes")

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
NATIVE, GREENLET = "actors._core", "actors._core_greenlet"


def say(msg):
    print("actors: " + msg, flush=True)


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


def native_plan():
    """(stub or None, why): whether to try the native core, and why."""
    wanted = os.environ.get("ACTORS_BUILD_NATIVE", "").strip()
    if wanted == "0":
        return None, "ACTORS_BUILD_NATIVE=0"
    if sys.implementation.name != "cpython":
        return None, "%s is not CPython (the native core swaps CPython's " \
            "thread state)" % sys.implementation.name
    stub, why = pick_stub()
    if stub is None or not os.path.exists(os.path.join(HERE, "asm", stub)):
        supported = "; ".join("%s %s %d-bit" % k for k in sorted(STUBS))
        return None, "no switch stub for %s (stubs exist for: %s)" % (
            why, supported)
    return stub, "switch stub asm/%s (chosen by %s)" % (stub, why)


def native_required():
    return os.environ.get("ACTORS_BUILD_NATIVE", "").strip() == "1"


class BuildExt(build_ext):
    """Builds the greenlet runtime always and the native core when this
    interpreter and platform allow; a native core that cannot be built is
    left out (the package then runs on greenlet) unless it is required."""

    def build_extensions(self):
        # distutils compiles .S (preprocessed assembly) with the C compiler
        # once it knows the extension.
        self.compiler.src_extensions.append(".S")
        info = {"native": False, "greenlet": False,
                "native_why": self.distribution.actors_native_why}
        for ext in self.extensions:
            if ext.name == NATIVE:
                why = self.pystate_unsupported()
                if why is None:
                    try:
                        self.build_extension(ext)
                    except Exception as exc:   # CompileError, LinkError...
                        why = "compiling it failed: %s" % (exc,)
                if why is not None:
                    info["native_why"] = why
                    if native_required():
                        sys.exit("actors: ACTORS_BUILD_NATIVE=1 but the "
                                 "native core cannot be built: " + why)
                    say("native core NOT built: %s" % why)
                    continue
                info["native"] = True
                say("built the native core %s (%s)" % (NATIVE, info["native_why"]))
            else:
                self.build_extension(ext)
                info["greenlet"] = True
                say("built the greenlet runtime %s" % GREENLET)
        if not info["native"]:
            # A native core left in build/ by an earlier build would be
            # packaged with this one.
            stale = self.get_ext_fullpath(NATIVE)
            if os.path.exists(stale):
                os.remove(stale)
                say("removed the stale native core %s" % stale)
        say("actors.BACKEND will be %r by default"
            % ("native" if info["native"] else "greenlet"))
        self.write_buildinfo(info)

    def pystate_unsupported(self):
        """None if pystate_compat.h has a thread-state header for this
        CPython, else why not (asked of the compiler itself, so a header
        added for a new version is picked up here with no other change)."""
        import sysconfig
        with tempfile.TemporaryDirectory() as tmp:
            probe = os.path.join(tmp, "probe_pystate.c")
            with open(probe, "w") as f:
                f.write('#include "pystate_compat.h"\n'
                        "#if !ACTORS_PYSTATE_SUPPORTED\n"
                        "#error unsupported\n#endif\n")
            try:
                self.compiler.compile(
                    [probe], output_dir=tmp,
                    include_dirs=[os.path.join(HERE, INCLUDES),
                                  sysconfig.get_paths()["include"]]
                    + list(self.include_dirs or []))
            except Exception:
                return ("no thread-state header for CPython %d.%d in "
                        "pystate_compat.h" % sys.version_info[:2])
        return None

    def write_buildinfo(self, info):
        path = os.path.join(self.build_lib, "actors", "_buildinfo.py")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write('"""What setup.py built (written by the build)."""\n'
                    "BUILT = %s\n" % pprint.pformat(info))
        if self.inplace:
            with open(os.path.join(HERE, "actors", "_buildinfo.py"), "w") as f:
                f.write(open(path).read())


def extensions():
    from Cython.Build import cythonize

    debug = os.environ.get("ACTORS_DEBUG") == "1"
    args = ["-O0", "-g", "-fno-omit-frame-pointer"] if debug else ["-O2"]
    macros = []
    if os.environ.get("ACTORS_OBSERVE", "").strip() == "0":
        say("ACTORS_OBSERVE=0: observability compiled out (a benchmark "
            "baseline, not for use)")
        macros.append(("ACTORS_OBSERVE", "0"))
    stub, why = native_plan()
    exts = [Extension(GREENLET, sources=["cython_src/_core_greenlet.pyx"],
                      include_dirs=[INCLUDES], extra_compile_args=args,
                      define_macros=macros)]
    if stub is None:
        if native_required():
            sys.exit("actors: ACTORS_BUILD_NATIVE=1 but the native core "
                     "cannot be built: " + why)
        say("native core NOT built: %s; the actor runtime runs on greenlet"
            % why)
    else:
        say("native core: %s" % why)
        exts.insert(0, Extension(NATIVE, sources=["cython_src/_core.pyx",
                                                  "asm/" + stub],
                                 include_dirs=[INCLUDES],
                                 extra_compile_args=args,
                                 define_macros=macros
                                 + [("ACTORS_NATIVE_CORE", "1")]))
    return why, cythonize(exts, language_level=3,
                          include_path=["cython_src", INCLUDES],
                          compiler_directives={"binding": False})


class Dist(Distribution):
    actors_native_why = None


_why, _exts = extensions()
Dist.actors_native_why = _why
setup(ext_modules=_exts, cmdclass={"build_ext": BuildExt}, distclass=Dist)
