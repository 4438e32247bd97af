"""The suite on every supported CPython, not only the one running pytest.

Each case builds actors with another interpreter (``run_on.sh``: a copy of
the source, a venv per interpreter) and runs a set of test files with it in
a child pytest.  3.12 and 3.13.0 come from pyenv on this machine; current
3.13, 3.14, 3.15 and their debug builds from a Debian sid chroot
(``.ci/sid_chroot.sh``, which must run as root).  The debug builds catch
reference-count and assertion errors; ``PYTHON_JIT=1`` runs the JIT.

The jobs run two at a time in the background from the first case on; each
case waits for its own.  They run when ``tests/run.sh`` asks for them
(ACTORS_TEST_INTERPRETERS=1, the README's test command does) or under
CI=true; a case whose interpreter cannot be obtained then fails, it never
skips.
"""
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import threading

import pytest

from _subproc import TESTS_DIR

ROOT = os.path.dirname(TESTS_DIR)
SID = os.path.join(ROOT, ".ci", "sid_chroot.sh")
JOBS = int(os.environ.get("ACTORS_MATRIX_JOBS", "2"))
REQUIRED = (os.environ.get("CI") == "true"
            or os.environ.get("ACTORS_TEST_INTERPRETERS") == "1")


def _files(*patterns):
    return sorted({os.path.basename(p) for pat in patterns
                   for p in glob.glob(os.path.join(TESTS_DIR, pat))})


CORE = _files("test_tasklet_*.py", "test_actors_*.py", "test_supervisor.py")
FULL = CORE + _files("test_cluster_*.py", "test_greenlet_conformance.py")

# label -> (where, interpreter, test files, extra environment)
CASES = {
    "3.12": ("pyenv", "3.12", FULL, {}),
    "3.13.0": ("pyenv", "3.13", FULL, {}),
    "3.13": ("sid", "python3.13", CORE + _files("test_cluster_*.py"), {}),
    "3.14": ("sid", "python3.14", FULL, {}),
    "3.15": ("sid", "python3.15", FULL, {}),
    "3.13-dbg": ("sid", "python3.13d", CORE, {}),
    "3.14-dbg": ("sid", "python3.14d", CORE, {}),
    "3.15-dbg": ("sid", "python3.15d", CORE, {}),
    "3.14-jit": ("sid", "python3.14", CORE, {"PYTHON_JIT": "1"}),
    "3.15-jit": ("sid", "python3.15", CORE, {"PYTHON_JIT": "1"}),
}


def pyenv_python(series):
    """The newest pyenv-installed CPython of a series, or None."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True)
        root = out.stdout.strip() or root
    found = []
    for d in glob.glob(os.path.join(root, "versions", series + ".*")):
        tail = os.path.basename(d)[len(series) + 1:]
        exe = os.path.join(d, "bin", "python" + series)
        if tail.isdigit() and os.access(exe, os.X_OK):
            found.append((int(tail), exe))
    return max(found)[1] if found else None


_sid_lock = threading.Lock()
_sid_state = {}


def sid_ready():
    """Set up the sid chroot once; returns None or why it failed."""
    with _sid_lock:
        if "error" not in _sid_state:
            if os.geteuid() != 0:
                _sid_state["error"] = "the sid chroot needs root"
            else:
                p = subprocess.run(["bash", SID, "setup"], capture_output=True,
                                   text=True, timeout=1800)
                _sid_state["error"] = (None if p.returncode == 0 else
                                       "sid chroot setup failed:\n"
                                       + (p.stdout + p.stderr)[-4000:])
        return _sid_state["error"]


def run_case(label):
    """(status, output): status 'ok', 'failed' or 'unavailable'."""
    where, python, files, extra = CASES[label]
    env = dict(os.environ, **extra)
    env.pop("PYTEST_CURRENT_TEST", None)
    # The 10-million-message flow-control run is the main suite's; the
    # other interpreters take the same path with a tenth of it.
    env.setdefault("ACTORS_FLOW_MESSAGES", "1000000")
    # greenlet's suite runs against actors.greenlet only; the side-by-side
    # run with real greenlet is the main suite's.
    env.setdefault("ACTORS_GLCONF_COMPARE", "0")
    if where == "pyenv":
        exe = pyenv_python(python)
        if exe is None:
            return "unavailable", "no pyenv CPython %s on this machine" % python
        cmd = ["bash", os.path.join(TESTS_DIR, "run_on.sh"), exe, label]
    else:
        why = sid_ready()
        if why:
            return "unavailable", why
        cmd = ["bash", SID, "run", "bash", "tests/run_on.sh", python, label]
    # -p no:randomly etc. are not installed; -x keeps a broken build short.
    proc = subprocess.run(cmd + ["-x"] + files, cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=1800)
    return ("ok" if proc.returncode == 0 else "failed"), proc.stdout


_pool = None
_futures = {}


@pytest.fixture(scope="module")
def matrix():
    """Start every case in the background; yield label -> Future."""
    global _pool
    if not REQUIRED:
        pytest.skip("other interpreters run from tests/run.sh "
                    "(ACTORS_TEST_INTERPRETERS=1) or under CI=true")
    _pool = concurrent.futures.ThreadPoolExecutor(max_workers=JOBS)
    for label in CASES:
        _futures[label] = _pool.submit(run_case, label)
    yield _futures
    _pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.slow
@pytest.mark.timeout(3600)     # the first case waits while the others run
@pytest.mark.parametrize("label", list(CASES))
def test_suite_on_interpreter(matrix, label):
    status, output = matrix[label].result()
    tail = output[-6000:]
    # The child's closing line, for the log of this run.
    sys.stdout.write("[%s] %s\n" % (label, (output.strip().splitlines()
                                            or [""])[-1]))
    assert status != "unavailable", "%s could not be obtained: %s" % (
        label, output)
    assert status == "ok", "tests failed on %s:\n%s" % (label, tail)
