"""SQLAlchemy's asyncio tests, run on real greenlet and on actors.greenlet.

SQLAlchemy's asyncio layer is built on greenlet (it runs sync code in a
greenlet and switches out at every await).  Its own tests for it
(``test/ext/asyncio`` and ``test/base/test_concurrency.py``, from its
sdist, on ``sqlite+aiosqlite`` in memory: no network) run twice in child
processes: once as installed, once with a ``greenlet`` shim package that
re-exports ``actors.greenlet`` first on ``sys.path``.  Both runs must give
every test the same outcome.

The sdist is fetched with pip into a cache directory (``ACTORS_SDIST_CACHE``,
default ``$TMPDIR/actors-sdist-cache``); its tests run against its own
``lib/`` (SQLAlchemy's conftest puts it first), so the version tested is the
one pinned here.  Needs aiosqlite (the test extra installs it).
"""
import os
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET

import pytest

from _dropin import shim_env

SQLALCHEMY_VERSION = "2.1.9"
TESTS = ["test/ext/asyncio", "test/base/test_concurrency.py"]
DBURI = "sqlite+aiosqlite:///:memory:"

def _sdist_tree():
    cache = os.environ.get("ACTORS_SDIST_CACHE") or os.path.join(
        tempfile.gettempdir(), "actors-sdist-cache")
    os.makedirs(cache, exist_ok=True)
    root = os.path.join(cache, "sqlalchemy-%s" % SQLALCHEMY_VERSION)
    if os.path.isfile(os.path.join(root, "test", "conftest.py")):
        return root
    archive = os.path.join(cache, "sqlalchemy-%s.tar.gz" % SQLALCHEMY_VERSION)
    if not os.path.exists(archive):
        # Only SQLAlchemy from source: its build requirements as wheels.
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps",
             "--no-binary", "sqlalchemy", "-d", cache,
             "sqlalchemy==%s" % SQLALCHEMY_VERSION],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=600)
        assert os.path.exists(archive), (
            "could not fetch SQLAlchemy's sdist:\n" + proc.stdout[-3000:])
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers()
                   if m.name.split("/")[1:2] in (["lib"], ["test"],
                                                 ["setup.cfg"],
                                                 ["pyproject.toml"])]
        tar.extractall(cache, members=members)
    return root


def _run(root, tmp_path, name, shim):
    xml = tmp_path / ("%s.xml" % name)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if shim:
        env.update(shim_env(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-p", "no:randomly", *TESTS, "--dburi", DBURI,
         "--junitxml", str(xml), "-o", "junit_family=xunit2"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=600)
    assert xml.exists(), "%s run wrote no report:\n%s" % (
        name, proc.stdout[-3000:])
    outcomes = {}
    for case in ET.parse(xml).iter("testcase"):
        key = "%s::%s" % (case.get("classname"), case.get("name"))
        kinds = {child.tag for child in case}
        outcome = ("failed" if kinds & {"failure", "error"} else
                   "skipped" if "skipped" in kinds else "passed")
        outcomes[key] = outcome
    return outcomes, proc.stdout


@pytest.mark.slow
@pytest.mark.timeout(1500)
@pytest.mark.native_only(reason="compares real greenlet with the native "
                         "Tasklet; on the greenlet backend both are greenlet")
def test_sqlalchemy_asyncio_suite_same_on_actors_greenlet(tmp_path):
    import importlib.util
    assert importlib.util.find_spec("aiosqlite"), "aiosqlite is not installed"
    root = _sdist_tree()
    real, real_out = _run(root, tmp_path, "greenlet", shim=False)
    ours, our_out = _run(root, tmp_path, "actors", shim=True)
    assert (tmp_path / "shim-used").exists(), \
        "the actors run did not import the shim:\n" + our_out[-3000:]

    def count(res, what):
        return sum(1 for v in res.values() if v == what)

    summary = "greenlet: %d passed %d skipped %d failed; actors: %d/%d/%d" % (
        count(real, "passed"), count(real, "skipped"), count(real, "failed"),
        count(ours, "passed"), count(ours, "skipped"), count(ours, "failed"))
    print(summary)
    assert count(real, "passed") > 100, real_out[-3000:]
    differ = sorted(k for k in set(real) | set(ours)
                    if real.get(k) != ours.get(k))
    assert not differ, "%s\ndiffering outcomes:\n  %s\n%s" % (
        summary, "\n  ".join("%s: greenlet %s, actors %s"
                             % (k, real.get(k), ours.get(k))
                             for k in differ[:50]), our_out[-3000:])
