"""NodeConfig(serializer="msgpack"): Pids, Refs, Down/Exit, ask requests
and replies cross as msgpack ext types, exception reasons as (type name,
str) pairs; what msgpack cannot encode is logged and dropped, never a
crash; a node with the other serializer is refused with a clear log."""
import pytest

zmq = pytest.importorskip("zmq")
msgpack = pytest.importorskip("msgpack")

from test_cluster_app import NodeProc, config, free_port


@pytest.fixture
def procs():
    started = []
    yield started
    for p in started:
        p.kill()


def start(procs, scenario, params):
    p = NodeProc(scenario, params)
    procs.append(p)
    return p


def mp(name, port, seeds=(), **kw):
    return config(name, port, seeds, serializer="msgpack", **kw)


def test_msgpack_send_ask_spawn_link_monitor(procs):
    pa, pb = free_port(), free_port()
    b = start(procs, "serve", {"name": "b", "config": mp("b", pb)})
    b.expect("ready")
    a = start(procs, "client", {"name": "a", "peer": "b",
                                "config": mp("a", pa, [pb])})
    r = a.expect("result", 30)
    assert r["nodes"] == ["b"]
    assert r["ask"] == ["echo", "hi"]
    assert r["ask_error"] == "boom"          # a builtin ValueError again
    assert r["ask_pid"] is True
    assert r["ask_ghost_s"] < 1.0 and r["ask_dead_s"] < 2.0
    assert r["pong"] == ["pong", 7]
    assert r["pong_by_name"] == ["pong", 8]
    assert r["spawned_on_remote"] is True
    assert r["sum"] == ["sum", 5, "b"]
    assert r["down"][:2] == [True, True]
    assert r["down"][2] == repr(("RuntimeError", "asked to die"))
    assert r["exit"] == [True, repr(("RuntimeError", "asked to die"))]
    assert r["noproc"] == "noproc"
    assert r["bad_spawn"] == "ActorError"
    assert a.expect("exit")["result"] == "done"
    assert b.expect("stopped")["got"] == []
    assert a.wait() == 0 and b.wait() == 0


def test_msgpack_unencodable_is_logged_not_a_crash(procs):
    pa, pb = free_port(), free_port()
    b = start(procs, "serve", {"name": "b", "config": mp("b", pb)})
    b.expect("ready")
    a = start(procs, "msgpack_extras", {"name": "a", "peer": "b",
                                        "config": mp("a", pa, [pb])})
    r = a.expect("result", 30)
    assert r["pong"] == ["pong", 9]          # the set was dropped, not 9
    assert "msgpack" in r["spawn_error"] and "set" in r["spawn_error"]
    assert r["exit_reason"] == ["RuntimeError", "asked to die"]
    assert r["stats"]["bad_frames"] == 0
    assert a.expect("exit")["result"] == "done"
    assert a.wait() == 0 and b.wait() == 0
    a.output_done()
    err = "".join(a.stderr)
    assert "cannot be sent" in err and "msgpack cannot encode set" in err


def test_mixed_serializers_are_refused(procs):
    pa, pb = free_port(), free_port()
    b = start(procs, "idle", {"name": "b", "lifetime": 20,
                              "config": config("b", pb)})      # pickle
    b.expect("ready")
    a = start(procs, "idle", {"name": "a", "lifetime": 20,
                              "config": mp("a", pa, [pb], join_timeout=1.5)})
    r = a.expect("start_error", 20)
    assert "no seed answered" in r["error"]
    assert a.wait() == 3
    b.kill()
    b.output_done()
    err = "".join(b.stderr)
    assert "refused: a msgpack batch (this node uses pickle)" in err, err
    assert "serializer" in err
