"""gevent's own tests, run on real greenlet and on actors.greenlet.

gevent is the largest greenlet user.  Its compiled modules (gevent's
default) derive C types from greenlet's object struct and keep their own
fields after it; actors.greenlet's objects are that struct's size, so they
run on it as they are: both runs use them.  A selection of
gevent's test modules from its wheel (``gevent.tests``: the hub, greenlets,
events, queues, locks, pools, timeouts, thread pools, monkey-patched
threads and queues, sockets, select, servers and WSGI on loopback) runs
once with the installed greenlet and once with the shim that re-exports
``actors.greenlet``; every test must have the same outcome in both.  A
module whose outcomes differ runs again, both ways, before it counts
(gevent's tests time sleeps on a shared machine).
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from _dropin import shim_env

# Loopback only; each is a unittest module with TestCases (gevent's
# script-style modules are left out).  About 75 s on this machine.
MODULES = [
    "test__api", "test__api_timeout", "test__contextvars", "test__destroy",
    "test__event", "test__exc_info", "test__greenio", "test__greenlet",
    "test__greenletset", "test__hub", "test__hub_join", "test__iwait",
    "test__joinall", "test__local", "test__lock", "test__loop_callback",
    "test__monkey", "test__monkey_queue", "test__order", "test__pool",
    "test__pywsgi", "test__queue", "test__select", "test__semaphore",
    "test__server", "test__socket", "test__socket_timeout",
    "test__socketpair", "test__systemerror", "test__thread",
    "test__threading", "test__threadpool", "test__timeout", "test__util",
]
RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "gevent_run.py")


def _run(module, env):
    proc = subprocess.run([sys.executable, RUNNER, module], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=300)
    try:
        outcomes = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        outcomes = {module: "crashed (exit %d)" % proc.returncode}
    return outcomes, proc.stderr


def _both(module, real_env, ours_env):
    """The module on real greenlet and on ours, side by side."""
    with ThreadPoolExecutor(2) as pool:
        real = pool.submit(_run, module, real_env)
        ours = pool.submit(_run, module, ours_env)
        return real.result(), ours.result()


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.native_only(reason="compares real greenlet with the native "
                         "Tasklet; on the greenlet backend both are greenlet")
def test_gevent_suite_same_on_actors_greenlet(tmp_path):
    import gevent        # tests/run.sh installs it (the bench extra)
    assert gevent.__file__
    real_env = dict(os.environ)
    real_env.pop("PYTHONPATH", None)
    real_env.pop("PURE_PYTHON", None)
    ours_env = dict(real_env, **shim_env(tmp_path))
    mark = ours_env["ACTORS_SHIM_MARK"]
    # gevent's compiled Greenlet, derived from ours (not its pure-Python
    # one, which it falls back to when the compiled modules do not load)
    probe = subprocess.run(
        [sys.executable, "-c", "import gevent, actors.greenlet as G; "
         "print(gevent.Greenlet.__module__, "
         "issubclass(gevent.Greenlet, G.greenlet))"],
        env=ours_env, capture_output=True, text=True, timeout=60)
    assert probe.stdout == "gevent._gevent_cgreenlet True\n", (
        probe.stdout, probe.stderr[-2000:])
    totals = {"greenlet": {}, "actors": {}}
    differ = []
    for module in MODULES:
        (real, real_err), (ours, our_err) = _both(module, real_env, ours_env)
        if real != ours:                 # again, before it counts
            (real, real_err), (ours, our_err) = _both(module, real_env,
                                                      ours_env)
        for name, res in (("greenlet", real), ("actors", ours)):
            for outcome in res.values():
                totals[name][outcome] = totals[name].get(outcome, 0) + 1
        differ += ["%s: greenlet %s, actors %s\n%s" % (
            test, real.get(test), ours.get(test), our_err[-2000:])
            for test in sorted(set(real) | set(ours))
            if real.get(test) != ours.get(test)]
    assert os.path.exists(mark), "the actors runs did not import the shim"
    summary = "greenlet: %s; actors: %s" % (totals["greenlet"],
                                            totals["actors"])
    print(summary)
    assert totals["greenlet"].get("passed", 0) > 800, summary
    assert not differ, "%s\n%d differing outcomes:\n%s" % (
        summary, len(differ), "\n".join(differ[:10]))
