"""greenlet's own test suite, run against greenlet and against actors.greenlet.

The greenlet wheel ships its tests; ``greenlet_conformance/run.py`` copies
them to a temporary directory at test time and runs them in child
processes, once with the installed greenlet package and once with a
generated ``greenlet`` shim (re-exporting ``actors.greenlet``) in front of
``sys.path``.  Both runs must pass the same set of tests (the tests listed
in ``greenlet_conformance/excluded.txt``, each with its reason, are left
out of both; one that real greenlet fails may pass on ours), and every
test not listed must pass on actors.greenlet.
Needs the greenlet package (with its tests), psutil and objgraph.
"""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "greenlet_conformance", "run.py")
# The side-by-side run with real greenlet; test_interpreters.py turns it
# off on the other interpreters: there the suite must pass on
# actors.greenlet, and the comparison and the excluded tests (3 of 5
# minutes per version) are the main suite's.
COMPARE = os.environ.get("ACTORS_GLCONF_COMPARE", "1") != "0"


def _missing():
    import importlib.util
    for mod in ("greenlet", "psutil", "objgraph"):
        if importlib.util.find_spec(mod) is None:
            return mod
    spec = importlib.util.find_spec("greenlet")
    if not os.path.isfile(os.path.join(
            list(spec.submodule_search_locations)[0], "tests", "__init__.py")):
        return "greenlet.tests"
    return None


@pytest.mark.slow
@pytest.mark.timeout(3600)     # two runs, each its child's own bound
@pytest.mark.native_only(reason="greenlet's own test suite run against the "
                         "native Tasklet; on the greenlet backend it would "
                         "test greenlet against itself")
def test_greenlet_suite_conforms(tmp_path):
    import actors
    missing = _missing()
    # The test extra installs all of them: a missing one is a broken setup.
    assert missing is None, "%s is not installed" % missing
    runs = {}
    for against in (("greenlet", "actors") if COMPARE else ("actors",)):
        out = tmp_path / ("results-%s.json" % against)
        proc = subprocess.run(
            [sys.executable, RUNNER, "--json", str(out), "--against", against,
             # test the same actors this pytest process imported
             "--actors-root",
             os.path.dirname(os.path.dirname(actors.__file__))]
            # the excluded tests run (for the 'excluded but passing' note)
            # where the comparison does
            + ([] if COMPARE else ["--skip-excluded"]),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=1800)
        print(proc.stdout)
        assert out.exists(), ("the harness wrote no results (%s):\n"
                              % against) + proc.stdout[-3000:]
        data = json.loads(out.read_text())
        counts = data["counts"]
        print("%s: passed=%d skipped=%d excluded=%d failing=%d" % (
            against, counts["passed"], counts["skipped"], counts["excluded"],
            counts["failing"]))
        assert counts["passed"] > 0, proc.stdout[-3000:]
        runs[against] = (proc, data)
    proc, data = runs["actors"]
    assert not data["rows"]["failing"], (
        "greenlet tests failing on actors.greenlet (not in excluded.txt):\n  "
        + "\n  ".join(data["rows"]["failing"]))
    assert proc.returncode == 0, proc.stdout[-3000:]
    if not COMPARE:
        return
    # The same tests pass on both (greenlet's own skips, for a platform or
    # a Python version, skip on both as well).  A test that greenlet itself
    # fails while actors.greenlet passes it is greenlet's miss, not ours.
    ref = runs["greenlet"][1]["rows"]
    for row in ("passed", "skipped"):
        only_ref = sorted(set(ref[row]) - set(data["rows"][row]))
        only_actors = sorted(set(data["rows"][row]) - set(ref[row])
                             - set(ref["failing"]))
        assert not only_ref and not only_actors, (
            "%s differ: only on greenlet %s, only on actors.greenlet %s"
            % (row, only_ref, only_actors))
