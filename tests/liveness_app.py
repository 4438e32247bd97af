"""Node programs for test_cluster_liveness.py and benchmarks/
bench_cluster_scale.py (no tests here): run as
NodeProc("liveness_app:NAME", params)."""
import time

import actors
from actors import _cluster
from test_cluster_app import out, wait_for_name, wait_nodes

__test__ = False


def watcher(p):
    """Monitor, link to and node-monitor p['peer']'s '<peer>_loop' actor
    (test_cluster_app.serve); report each NodeDown with the monotonic
    time it arrived (system-wide on Linux: the test compares it with the
    time it killed the peer).  p['rounds']: arm again after each down
    (the peer restarted) that many times; then report the incarnations
    seen and whether the old incarnations' actors count as gone."""
    peer = p["peer"]
    actors.trap_exits(True)
    seen = []
    old_pids = []
    for rnd in range(p.get("rounds", 1)):
        wait_nodes(1, 30)
        loop = wait_for_name(peer + "_loop", 30)
        while loop in old_pids:           # the old name, not yet replaced
            actors.sleep(0.01)
            loop = wait_for_name(peer + "_loop", 30)
        inc = actors.node_stats()["peers"][peer]["incarnation"]
        ref = actors.monitor(loop)
        actors.link(loop)
        _cluster.monitor_node(peer)
        actors.send(loop, ("ping", actors.self(), rnd))
        actors.receive(lambda m: isinstance(m, tuple) and m[0] == "pong",
                       timeout=10)
        out(event="armed", round=rnd, inc=inc)
        got = {}
        t_end = time.monotonic() + p.get("wait", 30)
        while len(set(got) & {"down", "exit", "nodedown"}) < 3 and time.monotonic() < t_end:
            msg = actors.receive(timeout=0.5, default=None)
            if isinstance(msg, actors.Down) and msg.ref == ref:
                got["down"] = msg.reason
            elif isinstance(msg, actors.Exit) and msg.pid == loop:
                got["exit"] = msg.reason
            elif isinstance(msg, _cluster.NodeDown):
                got["nodedown"] = msg.reason
                got["t"] = time.monotonic()
        got["old_alive"] = loop.alive
        got["nodes"] = _cluster.nodes()
        out(event="down", round=rnd, **got)
        seen.append(inc)
        old_pids.append(loop)
    stats = actors.node_stats()
    out(event="result", incs=seen, dropped=stats.get("dropped_connections"),
        old_alive=[q.alive for q in old_pids])
    return "ok"
