"""A small core subset of the tests under valgrind memcheck.

The full command is ``tests/run_valgrind.sh`` (see its header for the
settings).  Here three runs that together take about a minute on 2 cores:
the in-process switch/exception/lifecycle/context tests and the actors'
receive tests (mailboxes, run queue), a script that switches between
tasklets parked under deep C recursion (where a wrong stack-slice copy
would show up as invalid reads or writes), and the cluster inbox's reader
that calls libzmq from C.
"""
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from _subproc import TESTS_DIR

VALGRIND = shutil.which("valgrind")
SUPP = os.path.join(TESTS_DIR, "valgrind-python.supp")
MEMCHECK_ERROR = 99

pytestmark = [pytest.mark.slow, pytest.mark.native_only(
    reason="memchecks the native core's stack switching and arena")]


def _memcheck(args, log_path, timeout):
    env = dict(os.environ, PYTHONMALLOC="malloc_debug", ACTORS_ARENA="0")
    cmd = [VALGRIND, "--tool=memcheck",
           "--error-exitcode=%d" % MEMCHECK_ERROR,
           "--errors-for-leak-kinds=none", "--leak-check=no",
           "--suppressions=" + SUPP, "--log-file=" + str(log_path),
           sys.executable, *args]
    proc = subprocess.run(cmd, cwd=TESTS_DIR, env=env, capture_output=True,
                          text=True, timeout=timeout)
    with open(log_path) as f:
        log = f.read()
    return proc, log


def _assert_clean(proc, log):
    summaries = re.findall(r"ERROR SUMMARY: (\d+) errors", log)
    assert summaries, "no valgrind summary:\n" + log[-3000:] + proc.stderr
    # report the first few memcheck complaints verbatim
    assert all(n == "0" for n in summaries), log[:12000]
    assert proc.returncode != MEMCHECK_ERROR, log[:12000]
    assert proc.returncode >= 0, "killed by signal %d\n%s\n%s" % (
        -proc.returncode, proc.stderr[-4000:], log[-4000:])


def test_valgrind_is_installed():
    # the memcheck tests below are part of the suite, not optional
    assert VALGRIND, "valgrind not found on PATH (apt-get install valgrind)"


@pytest.mark.skipif(not VALGRIND, reason="valgrind missing (see above)")
def test_core_tests_under_memcheck(tmp_path):
    proc, log = _memcheck(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-k", "not many_tasklets and not ping_pong and not many_suspended",
         "test_tasklet_switch.py", "test_tasklet_exceptions.py",
         "test_tasklet_lifecycle.py", "test_tasklet_context.py",
         "test_actors_receive.py"],
        tmp_path / "valgrind.log", timeout=600)
    _assert_clean(proc, log)
    # the tests themselves ran (failures are reported by the plain run)
    assert re.search(r"\d+ passed", proc.stdout), proc.stdout[-3000:]


SCRIPT = textwrap.dedent("""
    import sys, random
    from actors.greenlet import getcurrent, greenlet
    sys.setrecursionlimit(5000)
    class Deep:
        def __init__(self, n): self.n = n
        def __getitem__(self, k):       # C stack grows at every level
            if self.n == 0:
                return getcurrent().parent.switch(k)
            return Deep(self.n - 1)[k + 1]
    def run(depth):
        data = [3, 1, 2]
        def key(x):
            getcurrent().parent.switch(-1)
            return x
        total = 0
        for _ in range(3):
            total += Deep(depth)[0]
            assert sorted(data, key=key) == [1, 2, 3]
        return total
    rng = random.Random(3)
    depths = [rng.choice((0, 5, 50, 400)) for _ in range(12)]
    ts = [greenlet(run) for _ in depths]
    for g, d in zip(ts, depths):
        assert g.switch(d) == d
    while any(ts):
        g = ts[rng.randrange(len(ts))]
        if g:
            g.switch(7)
    print("ok")
""")


@pytest.mark.skipif(not VALGRIND, reason="valgrind missing (see above)")
def test_switching_under_c_recursion_under_memcheck(tmp_path):
    proc, log = _memcheck(["-c", SCRIPT], tmp_path / "valgrind.log",
                          timeout=600)
    _assert_clean(proc, log)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout == "ok\n"


@pytest.mark.skipif(not VALGRIND, reason="valgrind missing (see above)")
def test_inbox_reader_under_memcheck(tmp_path):
    """libzmq's message functions called from C (the cluster inbox's
    reader, cython_src/zmqrecv.pxi), with pyzmq's path beside it."""
    pytest.importorskip("zmq")
    from test_cluster_transport import READERS_SNIPPET
    proc, log = _memcheck(["-c", READERS_SNIPPET], tmp_path / "valgrind.log",
                          timeout=600)
    _assert_clean(proc, log)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert '"fast_loaded": true' in proc.stdout
