"""NodeConfig(serializer="msgpack") beyond the scenario test_cluster_basic
runs with both serializers: what msgpack cannot encode is logged and
dropped, never a crash; a node with the other serializer is refused with a
clear log."""
import pytest

zmq = pytest.importorskip("zmq")
msgpack = pytest.importorskip("msgpack")

from test_cluster_app import config, free_port
from test_cluster_basic import procs, start  # noqa: F401 (a fixture)


def mp(name, port, seeds=(), **kw):
    return config(name, port, seeds, serializer="msgpack", **kw)


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
    # the hello says which: a node of the other kind is never admitted
    assert "refused: a msgpack hello (this node uses pickle)" in err, err
    assert "serializer" in err
