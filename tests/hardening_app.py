"""Node programs for test_cluster_hardening.py (no tests here): run as
NodeProc("hardening_app:NAME", params)."""
import logging
import os
import time

import actors
from actors import _cluster
from test_cluster_app import out, wait_for_name, wait_nodes

__test__ = False


def stall_target(p):
    """Register '<name>_main'; on the first message block the whole
    scheduler (time.sleep) for p['block'] s; then count ('n', i) messages
    for p['after'] s; report count, order, nodes and NodeDowns seen."""
    if p.get("log"):
        logging.basicConfig(level=logging.DEBUG)
    _cluster.register_cluster(p["name"] + "_main", actors.self())
    out(event="ready")
    if p.get("watch"):
        wait_nodes(1)
        _cluster.monitor_node(p["watch"])
    n = bad = 0
    downs = []
    blocked = False
    deadline = None
    while deadline is None or time.monotonic() < deadline:
        msg = actors.receive(timeout=0.1, default=None)
        if msg is None:
            continue
        if type(msg) is _cluster.NodeDown:
            downs.append(list(msg))
            continue
        if msg == "stop":
            break
        if isinstance(msg, tuple) and msg[0] == "n":
            if msg[1] != n:
                bad += 1
            n = msg[1] + 1
        if not blocked:
            blocked = True
            out(event="blocking")
            if p.get("busy"):               # a CPU-bound actor
                end = time.monotonic() + p["block"]
                while time.monotonic() < end:
                    pass
            else:
                time.sleep(p["block"])      # the scheduler stalls here
            out(event="unblocked")
            deadline = time.monotonic() + p["after"]
    out(event="result", n=n, bad=bad, downs=downs, nodes=_cluster.nodes(),
        stats=actors.node_stats())
    actors.sleep(p.get("hold", 0))      # keep up while the peer reports
    return "ok"


def streamer(p):
    """Send ('n', i) to '<peer>_main' p['n'] times, p['batch'] per
    scheduler pass (0: as fast as the outbox takes them, forever); watch
    the peer with monitor_node; report NodeDowns."""
    peer = p["peer"]
    wait_nodes(1)
    target = wait_for_name(peer + "_main")
    _cluster.monitor_node(peer)
    out(event="streaming")
    i = 0
    total = p.get("n") or float("inf")
    while i < total:
        for _ in range(p.get("batch", 10)):
            actors.send(target, ("n", i))
            i += 1
        actors.sleep(p.get("pause", 0))
    downs = []
    deadline = time.monotonic() + p.get("linger", 0)
    while time.monotonic() < deadline:
        msg = actors.receive(timeout=0.1, default=None)
        if type(msg) is _cluster.NodeDown:
            downs.append(list(msg))
    out(event="result", sent=i, downs=downs, nodes=_cluster.nodes())
    actors.sleep(p.get("hold", 0))
    return "ok"


def sigint_node(p):
    """actors.run(main, node=...) in this process's main thread: main
    sends p['n'] messages to '<peer>_main', says 'ready' and waits.  After
    Ctrl-C: report what run() raised, whether the port is free and
    whether a node runs again on it in this process."""
    import socket
    cfg = _cluster.NodeConfig(**p["config"])

    def main():
        wait_nodes(1)
        target = wait_for_name(p["peer"] + "_main")
        for i in range(p["n"]):
            actors.send(target, ("n", i))
        out(event="ready")
        try:
            while True:
                actors.receive()
        finally:
            out(event="main_finally")

    out(event="starting")
    try:
        actors.run(main, node=cfg)
        raised = None
    except BaseException as e:
        raised = type(e).__name__
    port = int(cfg.listen.rsplit(":", 1)[1])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        free = True
    except OSError:
        free = False
    s.close()
    again = actors.run(lambda: _cluster.node_name(), node=_cluster.NodeConfig(
        **dict(p["config"], seeds=[], name=p["name"] + "2")))
    out(event="result", raised=raised, port_free=free, again=again,
        node_gone=_cluster._node is None)


sigint_node.whole_process = True


class BadReplies(actors.Actor):
    """Answers 'lock' with what no serializer sends, 'big' with more than
    the node's max_msg_size, anything else with ('ok', msg)."""

    def receive(self, msg):
        import threading
        if msg == "lock":
            return threading.Lock()
        if msg == "big":
            return b"x" * (2 << 20)
        return ("ok", msg)


def bad_server(p):
    _cluster.register_cluster(p["name"] + "_bad", actors.spawn(BadReplies))
    out(event="ready")
    actors.receive(timeout=p.get("lifetime", 30), default=None)
    return "ok"


def asker(p):
    """Asks that cannot be sent, each with a 10 s timeout: report what
    each raised and how long it took."""
    import threading
    wait_nodes(1)
    bad = wait_for_name(p["peer"] + "_bad")
    res = {}
    for name, msg in (("request_unencodable", threading.Lock()),
                      ("request_too_big", b"y" * (2 << 20)),
                      ("reply_unencodable", "lock"),
                      ("reply_too_big", "big"),
                      ("fine", "hi")):
        t0 = time.monotonic()
        try:
            r = actors.ask(bad, msg, timeout=10)
            res[name] = ["returned", repr(r), time.monotonic() - t0]
        except Exception as e:
            res[name] = [type(e).__name__, str(e), time.monotonic() - t0]
    out(event="result", **res)
    return "ok"


def leave_watch(p):
    """Collect ('n', i) at '<name>_main' until the one peer has left;
    report them and whether the peer is looked for again (a node that
    vanished is; one that said bye is not)."""
    _cluster.register_cluster(p["name"] + "_main", actors.self())
    out(event="ready")
    wait_nodes(1, 20)
    got = []
    deadline = time.monotonic() + p.get("lifetime", 30)
    while _cluster.nodes() and time.monotonic() < deadline:
        msg = actors.receive(timeout=0.05, default=None)
        if isinstance(msg, tuple) and msg[0] == "n":
            got.append(msg[1])
    while True:                           # what came before the bye
        msg = actors.receive(timeout=0, default=None)
        if msg is None:
            break
        if isinstance(msg, tuple) and msg[0] == "n":
            got.append(msg[1])
    out(event="left", got=got, nodes=_cluster.nodes(),
        looked_for=sorted(_cluster._node.lost))
    return "ok"
