"""Cluster hardening (issue 9): a node whose actor stalls the scheduler,
a flooding peer that dies, Ctrl-C on run(node=...), asks that cannot be
sent."""
import time

import pytest

zmq = pytest.importorskip("zmq")

from test_cluster_app import NodeProc, config, free_port, procs, start  # noqa: F401 (procs: a fixture)



@pytest.mark.parametrize("run", range(2))
def test_stalled_node_survives_a_flooding_peer_that_dies(procs, run):
    """libzmq asserted (!_io_error, stream_engine_base.cpp) when a ZMTP
    heartbeat or a PING met a connection whose input was stopped (the
    inbox full: the node's actor blocked) and whose peer then died."""
    pa, pb = free_port(), free_port()
    a = start(procs, "hardening_app:stall_target", {
        "name": "a", "block": 2.0, "after": 2.0,
        "config": config("a", pa)})
    a.expect("ready")
    b = start(procs, "hardening_app:streamer", {
        "name": "b", "peer": "a", "n": 0, "batch": 50,
        "config": config("b", pb, [pa])})
    b.expect("streaming", 20)
    a.expect("blocking", 20)
    time.sleep(1.0)                   # the flood fills a's inbox meanwhile
    b.kill()
    a.expect("unblocked", 10)
    r = a.expect("result", 20)
    assert r["bad"] == 0
    assert a.wait() == 0, "".join(a.stderr)
    assert "Assertion failed" not in "".join(a.stderr)


@pytest.mark.parametrize("how", ["sleep", "busy"])
def test_stalled_node_is_not_declared_down_and_loses_nothing(procs, how):
    """An actor of a blocks its scheduler (time.sleep / a busy loop) past
    down_after while b streams to it: libzmq's I/O thread keeps answering
    ZMTP pings, so neither side declares the other down, and every message
    arrives in order."""
    pa, pb = free_port(), free_port()
    a = start(procs, "hardening_app:stall_target", {
        "name": "a", "block": 3.5, "busy": how == "busy", "after": 2.0,
        "hold": 4.0, "watch": "b",
        "config": config("a", pa, down_after=2.0)})
    a.expect("ready")
    b = start(procs, "hardening_app:streamer", {
        "name": "b", "peer": "a", "n": 500, "batch": 5, "pause": 0.01,
        "linger": 3.5, "hold": 4.0, "config": config("b", pb, [pa], down_after=2.0)})
    b.expect("streaming", 20)
    a.expect("blocking", 20)
    rb = b.expect("result", 30)       # each holds on after its report
    ra = a.expect("result", 30)
    assert rb["downs"] == [] and rb["nodes"] == ["a"], rb
    assert ra["downs"] == [] and ra["nodes"] == ["b"], (ra, "".join(a.stderr))
    assert ra["n"] == 500 and ra["bad"] == 0, ra
    assert a.wait() == 0 and b.wait() == 0


def test_ctrl_c_on_run_node_is_a_graceful_stop(procs):
    """SIGINT on actors.run(main, node=...): main's finally runs, every
    message sent reaches the peer, the peer sees a bye (not a lost node it
    would look for again), run() raises KeyboardInterrupt, and the port
    and context are released (a node runs on the same port again)."""
    import signal
    pa, pb = free_port(), free_port()
    b = start(procs, "hardening_app:leave_watch", {
        "name": "b", "config": config("b", pb)})
    b.expect("ready")
    a = start(procs, "hardening_app:sigint_node", {
        "name": "a", "peer": "b", "n": 2000,
        "config": config("a", pa, [pb])})
    a.expect("ready", 20)
    a.proc.send_signal(signal.SIGINT)
    a.expect("main_finally", 10)
    r = a.expect("result", 20)
    assert r["raised"] == "KeyboardInterrupt", r
    assert r["port_free"] and r["again"] == "a2" and r["node_gone"], r
    assert a.wait() == 0
    a.output_done()
    err = "".join(a.stderr)
    assert "without confirmation" not in err and "Traceback" not in err, err
    # b got every message, then a's bye: a left, it is not looked for
    r = b.expect("left", 20)
    assert r["got"] == list(range(2000))
    assert r["nodes"] == [] and r["looked_for"] == [], r


@pytest.mark.parametrize("serializer", ["pickle", "msgpack"])
def test_ask_that_cannot_be_sent_fails_at_once(procs, serializer):
    """A remote ask whose request or reply the serializer refuses, or that
    exceeds max_msg_size, raises at once on the asking side (TypeError /
    ValueError naming the cause), not Timeout after its 10 s."""
    if serializer == "msgpack":
        pytest.importorskip("msgpack")
    pa, pb = free_port(), free_port()
    kw = dict(serializer=serializer, max_msg_size=1 << 20)
    b = start(procs, "hardening_app:bad_server", {
        "name": "b", "config": config("b", pb, **kw)})
    b.expect("ready")
    a = start(procs, "hardening_app:asker", {
        "name": "a", "peer": "b", "config": config("a", pa, [pb], **kw)})
    r = a.expect("result", 60)
    for name, error in (("request_unencodable", "TypeError"),
                        ("request_too_big", "ValueError"),
                        ("reply_unencodable", "TypeError"),
                        ("reply_too_big", "ValueError")):
        got, text, took = r[name]
        assert got == error and took < 2.0, (name, r[name])
    assert "max_msg_size" in r["request_too_big"][1]
    assert "max_msg_size" in r["reply_too_big"][1]
    assert r["fine"][:2] == ["returned", repr(("ok", "hi"))], r["fine"]
    assert a.wait() == 0


def test_ctrl_c_while_joining_releases_the_node(procs):
    """SIGINT while run(node=...) waits for a seed that does not answer:
    run() raises KeyboardInterrupt at once, the port is free and a node
    runs again in the process."""
    import signal
    pa, dead = free_port(), free_port()
    a = start(procs, "hardening_app:sigint_node", {
        "name": "a", "peer": "b", "n": 0,
        "config": config("a", pa, [dead], join_timeout=30)})
    a.expect("starting", 20)
    time.sleep(1.0)
    t0 = time.monotonic()
    a.proc.send_signal(signal.SIGINT)
    r = a.expect("result", 20)
    assert time.monotonic() - t0 < 10
    assert r["raised"] == "KeyboardInterrupt", r
    assert r["port_free"] and r["again"] == "a2" and r["node_gone"], r
    assert a.wait() == 0
