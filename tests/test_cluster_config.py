"""NodeConfig validation, a second node with a taken name, IPv6."""
import math
import os
import socket

import pytest

zmq = pytest.importorskip("zmq")

from actors._cluster import NodeConfig
from test_cluster_app import NodeProc, config, free_port, procs, start  # noqa: F401 (procs: a fixture)

BASE = dict(name="a", listen="tcp://127.0.0.1:7001")


@pytest.mark.parametrize("field, value, error", [
    ("heartbeat", 0, ValueError),
    ("heartbeat", -0.5, ValueError),
    ("heartbeat", math.nan, ValueError),
    ("heartbeat", math.inf, ValueError),
    ("heartbeat", "0.5", TypeError),
    ("down_after", 0, ValueError),
    ("down_after", -1, ValueError),
    ("down_after", math.nan, ValueError),
    ("down_after", 0.1, ValueError),          # less than one heartbeat
    ("stall_timeout", 1.0, ValueError),       # less than down_after
    ("stall_timeout", math.nan, ValueError),
    ("join_timeout", math.nan, ValueError),
    ("join_timeout", -1, ValueError),
    ("join_timeout", True, TypeError),
    ("stop_timeout", math.nan, ValueError),
    ("stop_timeout", None, TypeError),
    ("max_msg_size", 0, ValueError),
    ("max_msg_size", 1.5, TypeError),
    ("sndhwm", -1, ValueError),
    ("rcvhwm", "x", TypeError),
    ("name", "", TypeError),
    ("name", None, TypeError),
    ("name", "a@b", ValueError),
    ("listen", 7001, TypeError),
    ("seeds", "tcp://127.0.0.1:7002", TypeError),
    ("seeds", [None], TypeError),
    ("security", "tls", ValueError),
    ("serializer", "json", ValueError),
    ("cookie", 12, TypeError),
    ("advertise", "", TypeError),
])
def test_bad_field_is_refused_naming_it(field, value, error):
    with pytest.raises(error, match=field):
        NodeConfig(**dict(BASE, **{field: value}))


def test_good_config_is_accepted():
    c = NodeConfig(name="a", listen="tcp://[::1]:*", seeds=["b@tcp://x:1"],
                   heartbeat=0.2, down_after=1, join_timeout=None,
                   stop_timeout=0, stall_timeout=5.0)
    assert c.down_after == 1
    NodeConfig(name="a", listen="ipc:///tmp/x", down_after=60.0)



@pytest.mark.parametrize("through", ["seed", "member"])
def test_second_node_with_a_taken_name_is_refused(procs, through):
    """A second node named 'a' fails to start with a clear error, whether
    it says hello to the first 'a' itself or to a node that knows it; the
    cluster keeps the first."""
    pa, pb, pa2 = free_port(), free_port(), free_port()
    a = start(procs, "idle", {"name": "a", "lifetime": 20,
                              "config": config("a", pa)})
    inc = a.expect("ready")["inc"]
    b = start(procs, "idle", {"name": "b", "lifetime": 20, "wait_nodes": 1,
                              "config": config("b", pb, [pa])})
    b.expect("ready", 20)
    seed = pa if through == "seed" else pb
    a2 = start(procs, "idle", {"name": "a", "config": config(
        "a", pa2, [seed], join_timeout=10)})
    r = a2.expect("start_error", 20)
    assert "taken" in r["error"] and "'a'" in r["error"], r
    assert a2.wait() == 3
    for p in (a, b):
        p.proc.kill()
        p.proc.wait(5)
        p.output_done()
    # what the cluster saw: the first 'a' only (b's peers)
    stderr = "".join(b.stderr if through == "member" else a.stderr)
    assert "refused a node" in stderr, stderr


def _has_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def test_ipv6_listen_and_seed(procs):
    if not _has_ipv6_loopback():
        if os.environ.get("CI") == "true":
            pytest.fail("CI: this machine has no ::1 to test IPv6 on")
        pytest.skip("no IPv6 loopback (::1) here")
    pa, pb = free_port(), free_port()
    ca = config("a", pa)
    ca["listen"] = "tcp://[::1]:%d" % pa
    cb = config("b", pb)
    cb["listen"] = "tcp://[::1]:%d" % pb
    cb["seeds"] = ["tcp://[::1]:%d" % pa]
    a = start(procs, "idle", {"name": "a", "lifetime": 3, "wait_nodes": 1,
                              "config": ca})
    b = start(procs, "idle", {"name": "b", "lifetime": 3, "wait_nodes": 1,
                              "config": cb})
    assert b.expect("ready", 20)["nodes"] == ["a"]
    assert a.expect("ready", 20)["nodes"] == ["b"]
    assert a.wait(20) == 0 and b.wait(20) == 0
