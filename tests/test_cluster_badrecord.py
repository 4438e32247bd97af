"""One bad message costs only itself: a record that does not decode on the
receiving node (its class exists only on the sender) is dropped, logged
with its sender and counted; the records around it in the same batch are
delivered in order; an ask carrying one gets an error reply at once, a
reply carrying one reaches its asker as an error, a Down whose reason is
one arrives with a stand-in reason; the peer stays connected."""
import os

import pytest

pytest.importorskip("zmq")

import test_cluster_app as app
from test_cluster_app import NodeProc, config, free_port

MODULE = """
class Secret:
    def __init__(self, x):
        self.x = x


class SecretError(Exception):
    pass
"""


def test_undecodable_records_cost_only_themselves(tmp_path):
    only_a = tmp_path / "only_a"
    only_a.mkdir()
    (only_a / "hclub_secret_mod.py").write_text(MODULE)
    stop = str(tmp_path / "stop")
    pa, pb = free_port(), free_port()
    b = NodeProc("badrecord_recv", {"config": config("b", pb),
                                    "stop_file": stop})
    a = NodeProc("badrecord_send", {"config": config("a", pa, [pb]),
                                    "module": "hclub_secret_mod",
                                    "stop_file": stop},
                 env={"PYTHONPATH": os.pathsep.join(
                     (app.ACTORS_ROOT, str(only_a)))})
    try:
        a.expect("joined", 30)
        b.expect("joined", 30)
        s = a.expect("result", 30)
        r = b.expect("result", 30)
        assert r["got"][0] == "m0" and r["got"][1:] == ["m2", "m4", "m5"], r
        assert "could not be decoded on node b" in s["ask_error"]
        assert "hclub_secret_mod.Secret" in s["ask_error"]
        assert s["took"] < 5                   # an answer, not a timeout
        assert s["fine"] == ["echo", "fine"]
        assert "reply from node a could not be decoded" in r["reply_error"]
        assert r["took"] < 5
        assert "hclub_secret_mod.SecretError" in r["down_reason"]
        assert r["stats"]["undecodable_records"] == 5 == r["node_counter"]
        assert r["stats"]["peers"]["a"]["undecodable_records"] == 5
        assert r["stats"]["bad_frames"] == 0
        assert r["nodes"] == ["a"]             # still connected
        for p in (a, b):
            p.expect("exit", 20)
            assert p.wait(20) == 0
        log = "".join(b.stderr)
        assert "from node a" in log and "hclub_secret_mod.Secret" in log
    finally:
        a.kill()
        b.kill()


FRAIL_SENDER = """
class Frail:
    def __init__(self, x):
        self.x = x
"""
FRAIL_RECEIVER = """
class Frail:
    def __setstate__(self, state):
        raise ValueError("this version refuses the old state")
"""


def test_a_batch_that_cannot_decode_at_all_is_node_down_not_silence(tmp_path):
    """Not even record by record (an object whose __setstate__ raises on
    the receiver): the batch is a bad frame, and the gap its number
    leaves makes both nodes see 'noconnection' instead of losing the
    records around it silently."""
    dirs = {}
    for side, text in (("a", FRAIL_SENDER), ("b", FRAIL_RECEIVER)):
        d = tmp_path / side
        d.mkdir()
        (d / "hclub_frail_mod.py").write_text(text)
        dirs[side] = {"PYTHONPATH": os.pathsep.join((app.ACTORS_ROOT,
                                                      str(d)))}
    stop = str(tmp_path / "stop")
    pa, pb = free_port(), free_port()
    kw = dict(heartbeat=0.25, down_after=3.0)
    b = NodeProc("frail_recv", {"config": config("b", pb, **kw),
                                "module": "hclub_frail_mod",
                                "stop_file": stop}, env=dirs["b"])
    a = NodeProc("frail_send", {"config": config("a", pa, [pb], **kw),
                                "module": "hclub_frail_mod",
                                "stop_file": stop}, env=dirs["a"])
    try:
        a.expect("joined", 30)
        b.expect("joined", 30)
        r = b.expect("result", 30)
        s = a.expect("result", 30)
        assert r["log"][-1] == "down", r
        assert "'f2'" not in r["log"], r           # never after the gap
        assert r["bad_frames"] >= 1 and r["gaps"] >= 1, \
            (r, "".join(a.stderr), "".join(b.stderr))
        assert s["down"] == "noconnection"
        for p in (a, b):
            p.expect("exit", 20)
            assert p.wait(20) == 0
    finally:
        a.kill()
        b.kill()
