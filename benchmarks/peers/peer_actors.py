"""Our side of bench_actors.py: the `actors` runtime through its public API
only (run, spawn, self, send, receive, Actor, ask).

    python peers/peer_actors.py MEASUREMENT ARG... [--no-gc]

Each measurement runs as the main actor of `actors.run()` and ends the
process from inside it once the figures are printed (_common.finish), so
shutting down a million parked actors is not part of the run.
"""
import time

import actors

import _common


def _poke(pid):
    actors.send(pid, "settled")


def settle():
    """Return once every actor spawned or woken so far has had its turn:
    an actor spawned now runs after them (the run queue is FIFO)."""
    actors.spawn(_poke, actors.self())
    actors.receive()


# -- skynet ---------------------------------------------------------------

def skynet(parent, num, size):
    if size == 1:
        actors.send(parent, num)
        return
    me = actors.self()
    size //= 10
    for i in range(10):
        actors.spawn(skynet, me, num + i * size, size)
    total = 0
    for _ in range(10):
        total += actors.receive()
    actors.send(parent, total)


def main_skynet(leaves):
    t0 = time.perf_counter()
    actors.spawn(skynet, actors.self(), 0, leaves)
    result = actors.receive()
    _common.finish({"seconds": time.perf_counter() - t0, "result": result})


# -- ping-pong ------------------------------------------------------------

def pong():
    while True:
        sender = actors.receive()
        if sender is None:
            return
        actors.send(sender, 1)


def main_pingpong(n, repeat):
    me = actors.self()
    best = None
    for _ in range(repeat):
        p = actors.spawn(pong)
        t0 = time.perf_counter()
        for _ in range(n):
            actors.send(p, me)
            actors.receive()
        s = time.perf_counter() - t0
        actors.send(p, None)
        best = s if best is None else min(best, s)
    _common.finish({"seconds": best})


# -- ask: a process-style actor asks a class-style one -----------------------

class Echo(actors.Actor):
    def receive(self, msg):
        return msg


def main_ask(n, repeat):
    echo = actors.spawn(Echo)
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(n):
            actors.ask(echo, i)
        s = time.perf_counter() - t0
        best = s if best is None else min(best, s)
    _common.finish({"seconds": best})


# -- park: process-style actors blocked in receive() ------------------------

def main_park(n, keep_gc):
    started = [0]

    def parked():
        started[0] += 1
        actors.receive()

    keep = [None] * n               # the Pids, allocated before the baseline
    _common.gc_off(keep_gc)
    rss0 = _common.rss_bytes()
    t0 = time.perf_counter()
    for i in range(n):
        keep[i] = actors.spawn(parked)
    while started[0] < n:
        settle()
    s = time.perf_counter() - t0
    rss1 = _common.rss_bytes()
    _common.finish({"seconds": s, "rss_delta": rss1 - rss0,
                    "parked": started[0]})


# -- idle: class-style actors with an empty mailbox -------------------------

class Idle(actors.Actor):
    def receive(self, msg):
        pass


def main_idle(n, keep_gc):
    keep = [None] * n
    _common.gc_off(keep_gc)
    rss0 = _common.rss_bytes()
    t0 = time.perf_counter()
    for i in range(n):
        keep[i] = actors.spawn(Idle)
    settle()
    s = time.perf_counter() - t0
    rss1 = _common.rss_bytes()
    _common.finish({"seconds": s, "rss_delta": rss1 - rss0, "parked": n})


# -- ring -----------------------------------------------------------------

def ring_node(main):
    nxt = actors.receive()
    while True:
        t = actors.receive()
        if t == 0:
            actors.send(main, "done")
            return
        actors.send(nxt, t - 1)


def main_ring(n, laps):
    me = actors.self()
    nodes = [actors.spawn(ring_node, me) for _ in range(n)]
    for i, p in enumerate(nodes):
        actors.send(p, nodes[(i + 1) % n])
    settle()
    m = n * laps
    t0 = time.perf_counter()
    actors.send(nodes[0], m)
    actors.receive()
    _common.finish({"seconds": time.perf_counter() - t0, "messages": m})


# -- mailbox --------------------------------------------------------------

def receiver(main, total):
    for _ in range(total):
        actors.receive()
    actors.send(main, "done")


def sender(dest, k):
    for i in range(k):
        actors.send(dest, i)


def main_mailbox(senders, per):
    me = actors.self()
    total = senders * per
    r = actors.spawn(receiver, me, total)
    settle()
    t0 = time.perf_counter()
    for _ in range(senders):
        actors.spawn(sender, r, per)
    actors.receive()
    _common.finish({"seconds": time.perf_counter() - t0, "messages": total})


def main():
    meas, nums, keep_gc = _common.parse_argv()
    if meas == "skynet":
        _common.check_leaves(nums[0])
    if meas in ("park", "idle"):
        actors.run(globals()["main_" + meas], nums[0], keep_gc)
    else:
        _common.gc_off(keep_gc)
        actors.run(globals()["main_" + meas], *nums)
    raise SystemExit("the %s measurement ended without a result" % meas)


if __name__ == "__main__":
    main()
