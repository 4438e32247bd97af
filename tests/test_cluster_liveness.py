"""Failure detection in two speeds (issue 13): a peer whose process dies
is declared down as soon as its connection drops, long before down_after;
a silent one (SIGSTOP: its connection stays open) only after down_after;
a restarted node, a new incarnation at the same address, is never taken
for the old one."""
import signal
import time

import pytest

zmq = pytest.importorskip("zmq")

from test_cluster_app import config, free_port, procs, start  # noqa: F401 (procs: a fixture)

# Long enough that a detection by silence cannot pass for the fast one.
SLOW = dict(down_after=10.0, stall_timeout=30.0)


def _serve(procs, port, **kw):
    b = start(procs, "serve", {"name": "b", "lifetime": 120,
                               "config": config("b", port, **kw)})
    b.expect("ready", 20)
    return b


def test_kill_9_is_seen_when_the_connection_drops(procs):
    pa, pb = free_port(), free_port()
    b = _serve(procs, pb, **SLOW)
    a = start(procs, "liveness_app:watcher", {
        "name": "a", "peer": "b", "config": config("a", pa, [pb], **SLOW)})
    a.expect("armed", 20)
    t_kill = time.monotonic()
    b.kill()
    r = a.expect("down", 20)
    assert r.get("down") == r.get("exit") == r.get("nodedown") == \
        "noconnection", r
    # from the drop, not from down_after's silence
    assert r["t"] - t_kill < SLOW["down_after"] / 2, r
    assert r["old_alive"] is False and r["nodes"] == []
    assert a.expect("result", 10)["dropped"] == 1
    assert a.wait() == 0


def test_sigstop_is_seen_after_down_after_not_before(procs):
    """A stopped process keeps its connections open: only silence shows
    it, so it must not be declared down early (its libzmq does not answer
    pings either: down_after applies, not stall_timeout)."""
    pa, pb = free_port(), free_port()
    cfg = dict(down_after=2.0, stall_timeout=30.0)
    b = _serve(procs, pb, **cfg)
    a = start(procs, "liveness_app:watcher", {
        "name": "a", "peer": "b", "config": config("a", pa, [pb], **cfg)})
    a.expect("armed", 20)
    t_stop = time.monotonic()
    b.proc.send_signal(signal.SIGSTOP)
    try:
        r = a.expect("down", 30)
    finally:
        b.proc.send_signal(signal.SIGCONT)
    assert r.get("down") == r.get("exit") == r.get("nodedown") == \
        "noconnection", r
    assert r["t"] - t_stop >= cfg["down_after"] * 0.9, r
    assert r["t"] - t_stop < cfg["down_after"] + 10, r
    assert a.wait(30) == 0


def test_restart_at_the_same_address_is_a_new_node(procs):
    """kill -9 and restart at once, three times: each old incarnation is
    declared down (fast), its actors stay dead, and each new one joins as
    itself, never accepted as, or refused because of, the old one."""
    pa, pb = free_port(), free_port()
    b = _serve(procs, pb, **SLOW)
    a = start(procs, "liveness_app:watcher", {
        "name": "a", "peer": "b", "rounds": 3,
        "config": config("a", pa, [pb], **SLOW)})
    for rnd in range(3):
        armed = a.expect("armed", 30)
        t_kill = time.monotonic()
        b.kill()
        b = _serve(procs, pb, **SLOW)     # the same name and port
        r = a.expect("down", 30)
        assert r["nodedown"] == r["down"] == r["exit"] == "noconnection", r
        assert r["t"] - t_kill < SLOW["down_after"] / 2, r
        assert r["old_alive"] is False
    res = a.expect("result", 30)
    assert len(set(res["incs"])) == 3, res      # three incarnations
    assert res["old_alive"] == [False] * 3
    assert a.wait() == 0
