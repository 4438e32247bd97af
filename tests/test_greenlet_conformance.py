"""greenlet's own test suite, run against actors.greenlet.

The greenlet wheel ships its tests; ``greenlet_conformance/run.py`` copies
them to a temporary directory at test time, puts a generated ``greenlet``
shim (re-exporting ``actors.greenlet``) in front of ``sys.path`` and runs
them in child processes.  Every test not listed in
``greenlet_conformance/excluded.txt`` must pass.  Needs the greenlet
package (with its tests), psutil and objgraph.
"""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "greenlet_conformance", "run.py")


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
@pytest.mark.timeout(1800)     # its child's own bound; minutes on a busy machine
@pytest.mark.native_only(reason="greenlet's own test suite run against the "
                         "native Tasklet; on the greenlet backend it would "
                         "test greenlet against itself")
def test_greenlet_suite_conforms(tmp_path):
    import actors
    missing = _missing()
    # The test extra installs all of them: a missing one is a broken setup.
    assert missing is None, "%s is not installed" % missing
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, RUNNER, "--json", str(out),
         # test the same actors this pytest process imported
         "--actors-root", os.path.dirname(os.path.dirname(actors.__file__))],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=1800)
    print(proc.stdout)
    assert out.exists(), "the harness wrote no results:\n" + proc.stdout[-3000:]
    data = json.loads(out.read_text())
    counts = data["counts"]
    print("passed=%(passed)d skipped=%(skipped)d excluded=%(excluded)d "
          "failing=%(failing)d" % counts)
    assert counts["passed"] > 0, proc.stdout[-3000:]
    assert not data["rows"]["failing"], (
        "greenlet tests failing on actors.greenlet (not in excluded.txt):\n  "
        + "\n  ".join(data["rows"]["failing"]))
    assert proc.returncode == 0, proc.stdout[-3000:]
