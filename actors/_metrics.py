"""actors.metrics(): counters and gauges of this process's actors, and
their export in Prometheus' text format (prometheus_client, the optional
`metrics` extra).  Counters are kept by the core as it runs (C adds on
paths it takes anyway); so are most gauges, and the mailbox gauges read
only the actors that can hold mail (introspect.pxi's _gauges): a read
costs in proportion to the runnable actors, never to the parked ones."""
import threading
import time

from actors._backend import core as _core

_last_sched: dict = {}            # thread -> (uptime, idle) at the last read
_last_lock = threading.Lock()


def _utilisation(scheds):
    """Per scheduler thread: the share of time it ran actors rather than
    waited in its poller, since the previous metrics() call (or its
    start)."""
    out = {}
    with _last_lock:
        for s in scheds:
            up, idle = s["uptime"], s["idle"]
            up0, idle0 = _last_sched.get(s["thread"], (0.0, 0.0))
            span = up - up0
            out[s["thread"]] = 0.0 if span <= 0 else \
                max(0.0, min(1.0, 1.0 - (idle - idle0) / span))
            _last_sched[s["thread"]] = (up, idle)
        for t in list(_last_sched):
            if t not in out:
                del _last_sched[t]
    return out


def _peers():
    from actors import _cluster
    if _cluster.node_name() is None:
        return {}
    try:
        st = _cluster.node_stats()
    except Exception:
        return {}
    return {name: {k: p.get(k, 0) for k in
                   ("frames_in", "bytes_in", "frames_out", "bytes_out",
                    "queued", "bad_frames")}
            for name, p in st["peers"].items()}


def metrics():
    """A dict of this process's actor metrics:

    counters: spawned, exits (by reason: 'normal', 'crashed' exceptions by
    type, other reasons as given), messages sent and received, dead
    letters, supervisor restarts, ask timeouts, ask cycles refused,
    scheduler busy/idle seconds;
    gauges: actors alive, runnable, waiting, run-queue length, largest
    mailbox (and whose), messages waiting in mailboxes, saved stack bytes
    (of every suspended tasklet), scheduler utilisation (since the previous
    call);
    per cluster peer: frames and bytes in and out, queued records."""
    from actors import _supervisor
    c = _core._counters()
    g = _core._gauges()
    scheds = _core._schedulers()
    util = _utilisation(scheds)
    reasons = dict(c["exit_reasons"])
    reasons["normal"] = reasons.get("normal", 0) + c["exits"] - \
        sum(c["exit_reasons"].values())
    return {
        "actors_alive": g["alive"],
        "actors_spawned": c["spawned"],
        "actors_runnable": g["runnable"],
        "actors_waiting": g["waiting"],
        "exits": c["exits"],
        "exits_by_reason": reasons,
        "crashes": c["crashed"],
        "messages_sent": c["sent"],
        "messages_received": c["received"],
        "mailbox_messages": g["mailbox_messages"],
        "largest_mailbox": g["largest_mailbox"],
        "largest_mailbox_pid": g["largest_mailbox_pid"],
        "dead_letters": c["dead_letters"],
        "restarts": _supervisor.restarts,
        "ask_timeouts": c["ask_timeouts"],
        "ask_cycles": c["ask_cycles"],
        "run_queue": sum(s["runq"] for s in scheds),
        "stack_bytes": g["stack_bytes"],
        "schedulers": [{"thread": s["thread"], "actors": s["actors"],
                        "run_queue": s["runq"], "timers": s["timers"],
                        "switches": s["ticks"],
                        "busy_seconds": max(0.0, s["uptime"] - s["idle"]),
                        "idle_seconds": s["idle"],
                        "utilisation": util[s["thread"]]} for s in scheds],
        "peers": _peers(),
        "time": time.time(),
    }


# -- Prometheus ---------------------------------------------------------------

def _families(m):
    from prometheus_client.core import (CounterMetricFamily,
                                        GaugeMetricFamily)

    def family(cls, name, doc, value, labels):
        f = cls("actors_" + name, doc, labels=list(labels or ()))
        if labels is None:
            f.add_metric([], value)
        else:
            for key, v in value:
                f.add_metric(list(key), v)
        return f

    def counter(name, doc, value, labels=None):
        return family(CounterMetricFamily, name, doc, value, labels)

    def gauge(name, doc, value, labels=None):
        return family(GaugeMetricFamily, name, doc, value, labels)

    sch = m["schedulers"]
    peers = m["peers"]
    yield gauge("alive", "Actors alive", m["actors_alive"])
    yield counter("spawned", "Actors spawned", m["actors_spawned"])
    yield gauge("runnable", "Actors in a run queue", m["actors_runnable"])
    yield counter("exits", "Actors ended, by reason",
                  [((str(k),), v) for k, v in m["exits_by_reason"].items()],
                  ["reason"])
    yield counter("messages_sent", "Messages sent", m["messages_sent"])
    yield counter("messages_received", "Messages received",
                  m["messages_received"])
    yield gauge("mailbox_messages", "Messages waiting in mailboxes",
                m["mailbox_messages"])
    yield gauge("largest_mailbox", "Messages in the fullest mailbox",
                m["largest_mailbox"])
    yield counter("dead_letters", "Messages to no live actor",
                  m["dead_letters"])
    yield counter("restarts", "Children restarted by supervisors",
                  m["restarts"])
    yield counter("ask_timeouts", "ask() calls that timed out",
                  m["ask_timeouts"])
    yield counter("ask_cycles", "ask() calls refused as a cycle",
                  m["ask_cycles"])
    yield gauge("run_queue", "Actors waiting to run", m["run_queue"])
    yield gauge("stack_bytes", "C stack bytes saved by suspended tasklets",
                m["stack_bytes"])
    yield counter("scheduler_busy_seconds", "Time schedulers ran actors",
                  [((str(s["thread"]),), s["busy_seconds"]) for s in sch],
                  ["thread"])
    yield counter("scheduler_idle_seconds", "Time schedulers waited",
                  [((str(s["thread"]),), s["idle_seconds"]) for s in sch],
                  ["thread"])
    yield gauge("scheduler_utilisation",
                "Share of time running actors since the previous scrape",
                [((str(s["thread"]),), s["utilisation"]) for s in sch],
                ["thread"])
    for key, doc in (("frames_in", "Frames received from a peer node"),
                     ("bytes_in", "Bytes received from a peer node"),
                     ("frames_out", "Frames sent to a peer node"),
                     ("bytes_out", "Bytes sent to a peer node")):
        yield counter("peer_" + key, doc,
                      [((n,), p[key]) for n, p in peers.items()], ["peer"])


class _Collector:
    """A prometheus_client collector reading actors.metrics() per scrape."""

    def collect(self):
        return list(_families(metrics()))

    def describe(self):
        return []                         # no registration-time scrape


def _import_prometheus():
    try:
        import prometheus_client
    except ImportError:
        raise ImportError(
            "Prometheus export needs prometheus_client: pip install "
            "'actors[metrics]'") from None
    return prometheus_client


def prometheus_registry():
    """A prometheus_client CollectorRegistry holding the actors collector
    (register _Collector() in your own registry to mix it with others)."""
    pc = _import_prometheus()
    reg = pc.CollectorRegistry(auto_describe=False)
    reg.register(_Collector())
    return reg


def prometheus_text():
    """actors.metrics() in Prometheus' text exposition format (bytes)."""
    pc = _import_prometheus()
    return pc.generate_latest(prometheus_registry())


def serve_metrics(port, addr="127.0.0.1"):
    """Serve actors.metrics() over HTTP for Prometheus on addr:port (0:
    any free port), from a daemon thread.  Returns the server; its
    server_address[1] is the port, shutdown() stops it."""
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError("port is an int")
    if not 0 <= port <= 65535:
        raise ValueError("port must be from 0 to 65535, not %d" % port)
    pc = _import_prometheus()
    r = pc.start_http_server(port, addr=addr, registry=prometheus_registry())
    return r[0] if isinstance(r, tuple) else r
