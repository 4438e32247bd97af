"""Run the core tasklet suite on every backend, not just the one in use.

This pytest process imported ``actors`` once, so it tests one backend (see
the "actors backend" line in the pytest header).  Here the core modules
(``conftest.CORE_MODULES``) and the actor runtime's
(``conftest.RUNTIME_MODULES``: both backends carry the whole runtime) are
run again in a child pytest on each other backend, so a plain ``pytest`` proves the suite on both the native core and
the greenlet package.
"""
import os
import subprocess
import sys
import warnings

import pytest

import actors
from _subproc import TESTS_DIR, describe, run_in_subprocess
from conftest import BACKENDS, CORE_MODULES, RUNTIME_MODULES


def _selected_backend(name):
    return run_in_subprocess(
        "import actors; print(actors.BACKEND)",
        env={"ACTORS_BACKEND": name})


def test_backend_in_use_is_the_one_requested():
    requested = os.environ.get("ACTORS_BACKEND")
    if requested:
        assert actors.BACKEND == requested
    else:
        # unset: the native core whenever it can be imported
        assert actors.BACKEND == (
            "native" if _selected_backend("native").returncode == 0
            else "greenlet")


def test_greenlet_backend_is_selectable():
    proc = _selected_backend("greenlet")
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == "greenlet\n"


def test_native_selection_is_explicit():
    """ACTORS_BACKEND=native gives the native core or fails loudly."""
    proc = _selected_backend("native")
    if proc.returncode == 0:
        assert proc.stdout == "native\n"
    else:
        assert "ImportError" in proc.stderr or \
            "ModuleNotFoundError" in proc.stderr, describe(proc)
        assert actors.BACKEND == "greenlet"


def test_bad_backend_name_is_refused():
    proc = _selected_backend("bogus")
    assert proc.returncode != 0
    assert "ACTORS_BACKEND" in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("other", [b for b in BACKENDS])
def test_core_suite_passes_on_backend(other):
    if other == actors.BACKEND:
        # this very session is running the whole suite on it
        assert _selected_backend(other).stdout == other + "\n"
        return
    probe = _selected_backend(other)
    if probe.returncode != 0:
        assert other == "native", describe(probe)
        warnings.warn("native core not built: the suite ran on greenlet only")
        return
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "--backend=" + other, *CORE_MODULES, *RUNTIME_MODULES,
           "test_backends.py::test_backend_in_use_is_the_one_requested"]
    env = dict(os.environ)
    env.pop("ACTORS_REQUIRE_NATIVE", None)   # the child runs another backend
    proc = subprocess.run(cmd, cwd=TESTS_DIR, capture_output=True, text=True,
                          timeout=900, env=env)
    assert proc.returncode == 0, (
        "core suite failed on backend %r:\n%s\n%s"
        % (other, proc.stdout[-8000:], proc.stderr[-3000:]))
    assert " passed" in proc.stdout
