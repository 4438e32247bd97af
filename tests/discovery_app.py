"""Node programs for test_cluster_discovery.py (no tests here)."""
import os

import actors
from actors import _cluster
from test_cluster_app import out

__test__ = False


def report(p):
    """Report (nodes, seeds, ready, address) each time one changes, until
    the file p['stop_file'] appears."""
    last = None
    while not os.path.exists(p["stop_file"]):
        st = actors.node_stats()
        now = dict(nodes=_cluster.nodes(), seeds=st["seeds"],
                   ready=st["ready"], address=st["address"],
                   looking_for=st["looking_for"])
        if now != last:
            last = now
            out(event="state", **now)
        actors.sleep(0.05)
    return "ok"
