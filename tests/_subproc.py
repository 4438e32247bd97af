"""Run a snippet of Python in a fresh interpreter, for crash-prone tests.

A test whose failure mode is a segfault, an abort or a hang must not take
the pytest process down with it, so it runs its code here and asserts on
the exit status and output.  The child runs with ``cwd`` set to this
directory (so ``import actors`` finds the installed package, not the source
tree, unless PYTHONPATH says otherwise) and inherits the environment,
including ``ACTORS_BACKEND`` as chosen by ``conftest.py``.
"""
import os
import signal
import subprocess
import sys
import textwrap

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def run_in_subprocess(code, timeout=60, env=None):
    """Run ``sys.executable -X faulthandler -c code``; return the CompletedProcess.

    ``code`` is dedented first.  ``env`` entries are added to (not
    substituted for) the current environment; a value of None removes a
    variable.  stdout/stderr are captured as text.  A hang raises
    ``subprocess.TimeoutExpired`` after ``timeout`` seconds.
    """
    full_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(code)],
        cwd=TESTS_DIR, env=full_env, capture_output=True, text=True,
        timeout=timeout)


def describe(proc):
    """A readable account of how a child process ended, for assert messages."""
    rc = proc.returncode
    how = "exit status %d" % rc
    if rc < 0:
        try:
            how = "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            how = "killed by signal %d" % -rc
    return "%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        how, proc.stdout[-4000:], proc.stderr[-6000:])


def assert_ok(proc, expected_stdout=None):
    """Assert the child exited 0 (and printed exactly ``expected_stdout``)."""
    assert proc.returncode == 0, describe(proc)
    if expected_stdout is not None:
        assert proc.stdout == expected_stdout, describe(proc)
