"""Node programs for test_cluster_flow.py (no tests here): run as
NodeProc("flow_app:NAME", params)."""
import os
import time

import actors
from actors import _cluster
from test_cluster_app import out, wait_for_name, wait_nodes

__test__ = False


def _rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _consume(n, report_to, work, bound):
    """Take n messages ('n', i) in order; slower than the producer (work:
    a busy loop per message); sample RSS and the mailbox's size."""
    me = actors.self()
    rss = []
    peak = 0
    bad = 0
    step = max(1, n // 20)
    for i in range(n):
        m = actors.receive(timeout=60)
        if m != i:
            bad += 1
        for _ in range(work):
            pass
        if i % 997 == 0:
            peak = max(peak, actors._core._mailbox_size(me)[0])
        if i % step == 0:
            rss.append(_rss_kb())
    actors.send(report_to, ("done", n, bad, rss, peak))


def consumer(p):
    _cluster.register_cluster("b_main", actors.self())
    c = actors.spawn(_consume, p["n"], actors.self(), p["work"],
                     p["mailbox"], mailbox=p["mailbox"])
    _cluster.register_cluster("b_sink", c)
    out(event="ready")
    t0 = time.monotonic()
    done = actors.receive(lambda m: isinstance(m, tuple) and
                          m[0] == "done", timeout=p.get("timeout", 600))
    _, n, bad, rss, peak = done
    stats = actors.node_stats()
    out(event="result", n=n, bad=bad, rss=rss, peak=peak,
        took=time.monotonic() - t0, nodes=_cluster.nodes(),
        bad_frames=stats["bad_frames"])
    while not os.path.exists(p["stop_file"]):
        actors.sleep(0.05)
    return "ok"


def producer(p):
    wait_nodes(1, 30)
    sink = wait_for_name("b_sink", 30)
    _cluster.monitor_node("b")
    t0 = time.monotonic()
    for i in range(p["n"]):
        actors.send(sink, i)
    rss = _rss_kb()
    out(event="sent", took=time.monotonic() - t0, rss=rss,
        queued=actors.node_stats()["peers"]["b"]["queued"])
    downs = []
    while not os.path.exists(p["stop_file"]):
        m = actors.receive(timeout=0.05, default=None)
        if isinstance(m, _cluster.NodeDown):
            downs.append(m.reason)
    out(event="result", downs=downs)
    return "ok"


class Doubler(actors.Actor):
    """Answers asks slowly, at most 10 waiting (the class's bound)."""
    mailbox = 10

    peak = 0

    def receive(self, msg):
        for _ in range(2000):
            pass
        if msg == "peak":
            return self.peak
        self.peak = max(self.peak,
                        actors._core._mailbox_size(actors.self())[0])
        return msg * 2


def ask_consumer(p):
    pid = actors.spawn(Doubler)
    _cluster.register_cluster("b_doubler", pid)
    out(event="ready", bound=actors._core._mailbox_size(pid)[1])
    while not os.path.exists(p["stop_file"]):
        actors.sleep(0.05)
    return "ok"


def ask_producer(p):
    wait_nodes(1, 30)
    d = wait_for_name("b_doubler", 30)
    me = actors.self()

    def asker(i):
        try:
            actors.send(me, (i, actors.ask(d, i, timeout=120)))
        except Exception as e:
            actors.send(me, (i, repr(e)))

    for i in range(p["n"]):
        actors.spawn(asker, i)
    got = dict(actors.receive(timeout=120) for _ in range(p["n"]))
    out(event="result", wrong=[i for i in range(p["n"])
                               if got.get(i) != 2 * i][:10],
        peak=actors.ask(d, "peak", timeout=30))
    while not os.path.exists(p["stop_file"]):
        actors.sleep(0.05)
    return "ok"
