"""Node programs for test_cluster_many.py (no tests here): run as
NodeProc("scale_app:member", params)."""
import os
import time

import actors
from actors import _cluster
from test_cluster_app import out

__test__ = False


def member(p):
    """One of many nodes: report its address; report its members (with
    their incarnations) each time they change, every NodeDown, and every
    broadcast it gets.  p['broadcast']: when the file p['bcast_file']
    appears, send ('bcast', name) to every other node's '<name>_main'.
    Ends when the file p['stop_file'] appears."""
    me = p["name"]
    _cluster.register_cluster(me + "_main", actors.self())
    out(event="up", address=actors.node_stats()["address"])
    watched = set()
    last = None
    sent = False
    while not os.path.exists(p["stop_file"]):
        peers = actors.node_stats()["peers"]
        for name in set(peers) - watched:
            _cluster.monitor_node(name)
            watched.add(name)
        members = {n: str(q["incarnation"]) for n, q in peers.items()}
        if members != last:
            last = members
            out(event="members", members=members)
        if p.get("broadcast") and not sent and \
                os.path.exists(p["bcast_file"]):
            sent = True
            targets = [_cluster.whereis_cluster(n + "_main")
                       for n in sorted(peers)]
            for pid in targets:
                actors.send(pid, ("bcast", me))
            out(event="broadcast", to=sum(t is not None for t in targets))
        msg = actors.receive(timeout=0.05, default=None)
        if isinstance(msg, _cluster.NodeDown):
            watched.discard(msg.name)
            out(event="nodedown", name=msg.name, reason=msg.reason)
        elif isinstance(msg, tuple) and msg[0] == "bcast":
            out(event="bcast", frm=msg[1])
    return "ok"
