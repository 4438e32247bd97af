"""Two and three nodes on loopback: remote send, ask, spawn, link, monitor,
failure detection after kill -9, graceful stop, restart."""
import pytest

zmq = pytest.importorskip("zmq")

from test_cluster_app import NodeProc, config, free_port


@pytest.fixture
def procs():
    started = []
    yield started
    for p in started:
        p.kill()


def start(procs, scenario, params, **kw):
    p = NodeProc(scenario, params, **kw)
    procs.append(p)
    return p


def test_send_ask_spawn_link_monitor(procs):
    pa, pb = free_port(), free_port()
    b = start(procs, "serve", {"name": "b", "config": config("b", pb)})
    b.expect("ready")
    a = start(procs, "client", {"name": "a", "peer": "b",
                                "config": config("a", pa, [pb])})
    r = a.expect("result", 30)
    assert r["nodes"] == ["b"]
    assert r["ask"] == ["echo", "hi"]
    assert r["ask_error"] == "boom"
    assert r["pong"] == ["pong", 7]
    assert r["pong_by_name"] == ["pong", 8]
    assert r["spawned_on_remote"] is True
    assert r["sum"] == ["sum", 5, "b"]
    assert r["down"][:2] == [True, True] and "asked to die" in r["down"][2]
    assert r["exit"][0] is True and "asked to die" in r["exit"][1]
    assert r["noproc"] == "noproc"
    assert r["bad_spawn"] == "ActorError"
    assert a.expect("exit")["result"] == "done"
    assert b.expect("stopped")["got"] == []
    assert a.wait() == 0 and b.wait() == 0
