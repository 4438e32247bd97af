"""Raw greenlet peer of bench_actors.py, with a minimal scheduler.

An actor is a greenlet (subclass) carrying a mailbox (a deque, created on
the first message) and a "waiting" flag; the scheduler is the root
greenlet running a FIFO run queue.  `receive()` switches to the scheduler
while the mailbox is empty; `send()` appends and, when the target waits,
puts it on the run queue.  No timers, no selective receive, no links:
the least an actor runtime on greenlet needs for these measurements.

    python peers/peer_greenlet.py MEASUREMENT ARG... [--no-gc]
"""
import time
from collections import deque

from greenlet import getcurrent, greenlet

import _common

_runq = deque()
_sched = None           # the root greenlet, which runs the loop in run()


class Proc(greenlet):
    __slots__ = ("mbox", "waiting", "args")


def spawn(fn, *args):
    p = Proc(fn, _sched)        # returns to the scheduler when fn ends
    p.mbox = None
    p.waiting = False
    p.args = args
    _runq.append(p)
    return p


def send(p, msg):
    mb = p.mbox
    if mb is None:
        mb = p.mbox = deque()
    mb.append(msg)
    if p.waiting:
        p.waiting = False
        _runq.append(p)


def receive():
    p = getcurrent()
    while not p.mbox:
        p.waiting = True
        _sched.switch()
    return p.mbox.popleft()


def run(main, *args):
    global _sched
    _sched = getcurrent()
    spawn(main, *args)
    runq = _runq
    while runq:
        p = runq.popleft()
        args = p.args
        if args is not None:        # first run: start it with its args
            p.args = None
            p.switch(*args)
        else:
            p.switch()
    raise RuntimeError("deadlock: the run queue is empty")


def settle():
    """Return once every actor queued so far has run (the queue is FIFO)."""
    spawn(send, getcurrent(), "settled")
    receive()


# -- skynet ---------------------------------------------------------------

def skynet(parent, num, size):
    if size == 1:
        send(parent, num)
        return
    me = getcurrent()
    size //= 10
    for i in range(10):
        spawn(skynet, me, num + i * size, size)
    total = 0
    for _ in range(10):
        total += receive()
    send(parent, total)


def main_skynet(leaves):
    t0 = time.perf_counter()
    spawn(skynet, getcurrent(), 0, leaves)
    result = receive()
    _common.finish({"seconds": time.perf_counter() - t0, "result": result})


# -- ping-pong ------------------------------------------------------------

def pong():
    while True:
        sender = receive()
        if sender is None:
            return
        send(sender, 1)


def main_pingpong(n, repeat):
    me = getcurrent()
    best = None
    for _ in range(repeat):
        p = spawn(pong)
        t0 = time.perf_counter()
        for _ in range(n):
            send(p, me)
            receive()
        s = time.perf_counter() - t0
        send(p, None)
        best = s if best is None else min(best, s)
    _common.finish({"seconds": best})


# -- park -----------------------------------------------------------------

def main_park(n, keep_gc):
    started = [0]

    def parked():
        started[0] += 1
        receive()

    keep = [None] * n
    _common.gc_off(keep_gc)
    rss0 = _common.rss_bytes()
    t0 = time.perf_counter()
    for i in range(n):
        keep[i] = spawn(parked)
    while started[0] < n:
        settle()
    s = time.perf_counter() - t0
    rss1 = _common.rss_bytes()
    _common.finish({"seconds": s, "rss_delta": rss1 - rss0,
                    "parked": started[0]})


# -- ring -----------------------------------------------------------------

def ring_node(main):
    nxt = receive()
    while True:
        t = receive()
        if t == 0:
            send(main, "done")
            return
        send(nxt, t - 1)


def main_ring(n, laps):
    me = getcurrent()
    nodes = [spawn(ring_node, me) for _ in range(n)]
    for i, p in enumerate(nodes):
        send(p, nodes[(i + 1) % n])
    settle()
    m = n * laps
    t0 = time.perf_counter()
    send(nodes[0], m)
    receive()
    _common.finish({"seconds": time.perf_counter() - t0, "messages": m})


# -- mailbox --------------------------------------------------------------

def receiver(main, total):
    for _ in range(total):
        receive()
    send(main, "done")


def sender(dest, k):
    for i in range(k):
        send(dest, i)


def main_mailbox(senders, per):
    me = getcurrent()
    total = senders * per
    r = spawn(receiver, me, total)
    settle()
    t0 = time.perf_counter()
    for _ in range(senders):
        spawn(sender, r, per)
    receive()
    _common.finish({"seconds": time.perf_counter() - t0, "messages": total})


def main():
    meas, nums, keep_gc = _common.parse_argv()
    if meas == "skynet":
        _common.check_leaves(nums[0])
    if meas == "park":
        run(main_park, nums[0], keep_gc)
    elif meas in ("skynet", "pingpong", "ring", "mailbox"):
        _common.gc_off(keep_gc)
        run(globals()["main_" + meas], *nums)
    else:
        raise SystemExit("not measured by the greenlet peer: " + meas)


if __name__ == "__main__":
    main()
