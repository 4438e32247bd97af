"""Two and three nodes on loopback: remote send, ask, spawn, link, monitor
(with either serializer), failure detection after kill -9, graceful stop,
restart."""
import pytest

zmq = pytest.importorskip("zmq")

from test_cluster_app import NodeProc, config, free_port, procs, start  # noqa: F401 (procs: a fixture)



@pytest.mark.parametrize("serializer", ["pickle", "msgpack"])
def test_send_ask_spawn_link_monitor(procs, serializer):
    if serializer == "msgpack":
        pytest.importorskip("msgpack")
    pa, pb = free_port(), free_port()
    b = start(procs, "serve", {"name": "b", "config": config(
        "b", pb, serializer=serializer)})
    b.expect("ready")
    a = start(procs, "client", {"name": "a", "peer": "b", "config": config(
        "a", pa, [pb], serializer=serializer)})
    r = a.expect("result", 30)
    assert r["nodes"] == ["b"]
    assert r["ask"] == ["echo", "hi"]
    assert r["ask_error"] == "boom"
    assert r["ask_pid"] is True
    assert r["ask_ghost_s"] < 1.0 and r["ask_dead_s"] < 2.0
    assert r["pong"] == ["pong", 7]
    assert r["pong_by_name"] == ["pong", 8]
    assert r["spawned_on_remote"] is True
    assert r["sum"] == ["sum", 5, "b"]
    assert r["down"][:2] == [True, True] and "asked to die" in r["down"][2]
    assert r["exit"][0] is True and "asked to die" in r["exit"][1]
    if serializer == "msgpack":       # exception reasons: (type, str) pairs
        assert r["down"][2] == repr(("RuntimeError", "asked to die"))
        assert r["exit"][1] == repr(("RuntimeError", "asked to die"))
    assert r["noproc"] == "noproc"
    assert r["bad_spawn"] == "ActorError"
    assert a.expect("exit")["result"] == "done"
    assert b.expect("stopped")["got"] == []
    assert a.wait() == 0 and b.wait() == 0


def test_kill_9_fires_noconnection_within_deadline(procs):
    pa, pb = free_port(), free_port()
    b = start(procs, "serve", {"name": "b", "config": config("b", pb)})
    b.expect("ready")
    a = start(procs, "watch", {"name": "a", "peer": "b",
                               "config": config("a", pa, [pb])})
    a.expect("armed", 20)
    b.kill()
    r = a.expect("result", 20)
    assert r["down"] == [True, "noconnection"]
    assert r["exit"] == [True, "noconnection"]
    assert r["nodedown"] == ["b", "noconnection"]
    assert r["name_gone"] is True and r["nodes"] == []
    assert r["after"] < 3.0 + 1.0        # down_after 3 s, heartbeat 0.5 s
    assert a.wait() == 0


def test_graceful_stop_loses_nothing(procs):
    pa, pb = free_port(), free_port()
    n = 100_000
    b = start(procs, "idle", {"name": "b", "lifetime": 60,
                              "config": config("b", pb)})
    b.expect("ready")
    a = start(procs, "blast", {"name": "a", "peer": "b", "n": n,
                               "config": config("a", pa, [pb])})
    assert a.expect("sent", 30)["n"] == n
    assert a.expect("exit", 30)["result"] == "sent"
    assert a.wait(30) == 0               # a has stopped: b has everything
    got = b.expect("stopped", 60)["got"]
    assert got == ["('counted', %d, 0)" % n]
    assert b.wait(30) == 0


def test_restart_with_new_incarnation(procs, tmp_path):
    pa, pb = free_port(), free_port()
    # One stop file each: b reports its peers while a2 is still up (with a
    # shared one, a2 could see it first and leave with a bye: b would then
    # rightly list no peers).
    stop_a, stop_b = str(tmp_path / "stop_a"), str(tmp_path / "stop_b")
    b = start(procs, "idle", {"name": "b", "lifetime": 60, "report_got": 1,
                              "stop_file": stop_b, "config": config("b", pb)})
    b.expect("ready")
    params = {"name": "a", "lifetime": 60, "stop_file": stop_a,
              "wait_nodes": 1, "hello_to": "b", "hello_inc": 1,
              "config": config("a", pa, [pb])}
    a1 = start(procs, "idle", params)
    inc1 = a1.expect("ready")["inc"]
    a1.kill()                            # kill -9, restart at once
    a2 = start(procs, "idle", params)
    r = a2.expect("ready")
    assert r["nodes"] == ["b"] and r["inc"] != inc1
    # a1 may die before its hello leaves; a2's arrives (a2 sends it after
    # "ready": stop b only once b has it)
    hi2 = repr(("hi", "a", r["inc"]))
    while b.expect("got", 20)["msg"] != hi2:
        pass
    open(stop_b, "w").close()
    got = b.expect("stopped", 20)
    assert hi2 in got["got"]
    assert got["nodes"] == ["a"]
    assert got["stats"]["peers"]["a"]["incarnation"] == r["inc"]
    assert b.wait() == 0                 # b has left: a2 stops alone
    open(stop_a, "w").close()
    assert a2.expect("stopped", 20)
    assert a2.wait() == 0 and b.wait() == 0


def test_wrong_cookie_cannot_join(procs):
    pa, pb = free_port(), free_port()
    b = start(procs, "idle", {"name": "b", "lifetime": 8,
                              "config": config("b", pb)})
    b.expect("ready")
    c = start(procs, "idle", {"name": "c", "hello_to": "b", "config": config(
        "c", pa, [pb], cookie="wrong", join_timeout=1.5)})
    err = c.expect("start_error", 20)["error"]
    assert "no seed answered" in err
    assert c.wait() == 3
    r = b.expect("stopped", 20)
    assert r["got"] == [] and r["nodes"] == []
    assert b.wait() == 0


def test_startup_errors(procs):
    pb = free_port()
    b = start(procs, "idle", {"name": "b", "lifetime": 10,
                              "config": config("b", pb)})
    b.expect("ready")
    same = start(procs, "idle", {"name": "x", "config": config("x", pb)})
    assert "already in use" in same.expect("start_error")["error"]
    nocookie = start(procs, "idle", {"name": "y", "config": config(
        "y", free_port(), cookie=None)})
    assert "no cluster cookie" in nocookie.expect("start_error")["error"]
    assert same.wait() == 3 and nocookie.wait() == 3
    b.kill()
