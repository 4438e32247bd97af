"""Under CI=true a cluster test that skips fails (conftest.py): a test
whose environment is missing must not pass for one that ran."""
import os
import shutil
import subprocess
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))

CLUSTER_TEST = '''
import pytest

def test_skips_at_run():
    pytest.skip("no root here")

@pytest.mark.skipif(True, reason="no iproute2")
def test_skips_by_mark():
    pass

@pytest.mark.skip(reason="platform: network namespaces are Linux-only")
def test_platform_skip():
    pass

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False
'''

COLLECT_SKIP = '''
import pytest
pytest.importorskip("no_such_module_here")

def test_never():
    pass
'''


def run(tmp_path, ci):
    shutil.copy(os.path.join(TESTS_DIR, "conftest.py"), tmp_path)
    (tmp_path / "test_cluster_fake.py").write_text(CLUSTER_TEST)
    (tmp_path / "test_cluster_nozmq.py").write_text(COLLECT_SKIP)
    (tmp_path / "test_other_fake.py").write_text(CLUSTER_TEST)
    env = dict(os.environ)
    env.pop("CI", None)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
         "--continue-on-collection-errors",
         str(tmp_path)], cwd=str(tmp_path), env=env, capture_output=True,
        text=True, timeout=120)


def test_cluster_skips_fail_under_ci(tmp_path):
    r = run(tmp_path, ci=True)
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    assert "FAILED test_cluster_fake.py::test_skips_at_run" in out, out
    # (a skip mark acts at setup: an error)
    assert "ERROR test_cluster_fake.py::test_skips_by_mark" in out, out
    assert "ERROR test_cluster_nozmq.py" in out, out
    assert "may not skip" in out, out
    # a documented platform skip, an xfail and other modules' skips stay
    assert "SKIPPED [1] test_cluster_fake.py" in out and \
        "platform: network" in out, out
    assert "XFAIL test_cluster_fake.py::test_xfail" in out, out
    assert out.count("SKIPPED [1]") == 1 + 3, out  # + test_other_fake's


def test_cluster_skips_are_skips_outside_ci(tmp_path):
    r = run(tmp_path, ci=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "may not skip" not in r.stdout
