"""The suite on every supported CPython, not only the one running pytest.

Each case builds actors with another interpreter (``run_on.sh``: a copy of
the source, a venv per interpreter) and runs a set of test files with it in
a child pytest.  3.12 and 3.13.0 come from pyenv on this machine; current
3.13, 3.14, 3.15 and their debug builds from a Debian sid chroot
(``.ci/sid_chroot.sh``, which must run as root).  The debug builds catch
reference-count and assertion errors; ``PYTHON_JIT=1`` runs the JIT.

The cases run in the background while the rest of the suite runs: one at a
time from the end of collection (``conftest.py`` starts them and moves
these tests to the end of the run), two at a time once the suite reaches
them; each test waits for its own case.  They run when ``tests/run.sh``
asks for them (ACTORS_TEST_INTERPRETERS=1, the README's test command
does) or under CI=true; a case whose interpreter cannot be obtained then
fails, it never skips.
"""
import concurrent.futures
import glob
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading

import pytest

from _subproc import TESTS_DIR

ROOT = os.path.dirname(TESTS_DIR)
SID = os.path.join(ROOT, ".ci", "sid_chroot.sh")
JOBS = int(os.environ.get("ACTORS_MATRIX_JOBS", "2"))
# While the rest of the suite runs beside them (its timing-sensitive tests
# keep a core of their own).
EARLY_JOBS = int(os.environ.get("ACTORS_MATRIX_EARLY_JOBS", "1"))
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
    # A session of its own: stop_matrix() ends the whole tree.
    proc = subprocess.Popen(cmd + ["-x"] + files, cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    with _running_lock:
        _running.add(proc)
        if _stopped:                      # stop_matrix() came first
            _kill(proc)
    try:
        out, _ = proc.communicate(timeout=1800)
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, _ = proc.communicate()
        return "failed", out + "\n(timed out after 1800 s)"
    finally:
        with _running_lock:
            _running.discard(proc)
    return ("ok" if proc.returncode == 0 else "failed"), out


_running = set()
_running_lock = threading.Lock()
_stopped = False


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class _Matrix:
    """The cases, run by up to `workers` background threads in CASES order;
    label -> Future of run_case's result."""

    def __init__(self, labels):
        self.futures = {label: concurrent.futures.Future() for label in labels}
        self.todo = queue.Queue()
        for label in labels:
            self.todo.put(label)
        self.threads = []
        self.lock = threading.Lock()

    def start(self, workers):
        with self.lock:
            while len(self.threads) < workers:
                t = threading.Thread(target=self._work, daemon=True,
                                     name="matrix-%d" % len(self.threads))
                self.threads.append(t)
                t.start()

    def _work(self):
        while True:
            try:
                label = self.todo.get_nowait()
            except queue.Empty:
                return
            fut = self.futures[label]
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(run_case(label))
            except BaseException as e:    # a timeout: that case fails
                fut.set_exception(e)


_matrix = None


def start_matrix(workers, labels=None):
    """Start the cases `labels` (default: all) with `workers` threads; a
    later call only adds workers.  conftest.py calls this once collection is
    done, with the selected cases, so that they run beside the suite."""
    global _matrix
    if REQUIRED:
        if _matrix is None:
            _matrix = _Matrix([l for l in CASES if labels is None
                               or l in labels])
        _matrix.start(workers)


def stop_matrix():
    """At the session's end (conftest.py): cases not started are dropped and
    running ones killed, so that an interrupted or -x run leaves nothing
    behind (after a whole run every case is done)."""
    global _stopped
    if _matrix is not None:
        for fut in _matrix.futures.values():
            fut.cancel()
        with _running_lock:
            _stopped = True               # (a case already past its cancel)
            for proc in _running:
                _kill(proc)


@pytest.fixture(scope="module")
def matrix():
    """label -> Future, every case started (two at a time from here)."""
    if not REQUIRED:
        pytest.skip("other interpreters run from tests/run.sh "
                    "(ACTORS_TEST_INTERPRETERS=1) or under CI=true")
    start_matrix(JOBS)
    return _matrix.futures


@pytest.mark.slow
@pytest.mark.timeout(3600)     # the first case waits while the others run
@pytest.mark.parametrize("label", list(CASES))
def test_suite_on_interpreter(matrix, label):
    assert label in matrix, "%s was not started" % label
    status, output = matrix[label].result()
    tail = output[-6000:]
    # The child's closing line, for the log of this run.
    sys.stdout.write("[%s] %s\n" % (label, (output.strip().splitlines()
                                            or [""])[-1]))
    assert status != "unavailable", "%s could not be obtained: %s" % (
        label, output)
    assert status == "ok", "tests failed on %s:\n%s" % (label, tail)
