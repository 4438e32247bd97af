"""gevent peer of bench_actors.py: greenlets spawned with gevent.spawn(),
a gevent.queue.Queue as each actor's mailbox (the Queue is its address:
send is put(), receive is get()).  An actor that never receives gets no
mailbox (skynet's leaves, the mailbox senders).

    python peers/peer_gevent.py MEASUREMENT ARG... [--no-gc]
"""
import time

import gevent
from gevent.queue import Queue

import _common


# -- skynet ---------------------------------------------------------------

def skynet(parent, num, size):
    if size == 1:
        parent.put(num)
        return
    box = Queue()
    size //= 10
    for i in range(10):
        gevent.spawn(skynet, box, num + i * size, size)
    total = 0
    for _ in range(10):
        total += box.get()
    parent.put(total)


def main_skynet(leaves):
    box = Queue()
    t0 = time.perf_counter()
    gevent.spawn(skynet, box, 0, leaves)
    result = box.get()
    _common.finish({"seconds": time.perf_counter() - t0, "result": result})


# -- ping-pong ------------------------------------------------------------

def pong(box):
    while True:
        sender = box.get()
        if sender is None:
            return
        sender.put(1)


def main_pingpong(n, repeat):
    mine = Queue()
    best = None
    for _ in range(repeat):
        pbox = Queue()
        gevent.spawn(pong, pbox)
        t0 = time.perf_counter()
        for _ in range(n):
            pbox.put(mine)
            mine.get()
        s = time.perf_counter() - t0
        pbox.put(None)
        best = s if best is None else min(best, s)
    _common.finish({"seconds": best})


# -- park -----------------------------------------------------------------

def main_park(n, keep_gc):
    started = [0]

    def parked(box):
        started[0] += 1
        box.get()

    keep = [None] * n           # the mailboxes: each holds its waiter
    _common.gc_off(keep_gc)
    rss0 = _common.rss_bytes()
    t0 = time.perf_counter()
    for i in range(n):
        keep[i] = box = Queue()
        gevent.spawn(parked, box)
    while started[0] < n:       # let the hub start every one
        gevent.sleep(0)
    s = time.perf_counter() - t0
    rss1 = _common.rss_bytes()
    _common.finish({"seconds": s, "rss_delta": rss1 - rss0,
                    "parked": started[0]})


# -- ring -----------------------------------------------------------------

def ring_node(box, nxt, done, started):
    started[0] += 1
    while True:
        t = box.get()
        if t == 0:
            done.put("done")
            return
        nxt.put(t - 1)


def main_ring(n, laps):
    boxes = [Queue() for _ in range(n)]
    done = Queue()
    started = [0]
    for i in range(n):
        gevent.spawn(ring_node, boxes[i], boxes[(i + 1) % n], done, started)
    while started[0] < n:
        gevent.sleep(0)
    m = n * laps
    t0 = time.perf_counter()
    boxes[0].put(m)
    done.get()
    _common.finish({"seconds": time.perf_counter() - t0, "messages": m})


# -- mailbox --------------------------------------------------------------

def receiver(box, done, total):
    for _ in range(total):
        box.get()
    done.put("done")


def sender(dest, k):
    for i in range(k):
        dest.put(i)


def main_mailbox(senders, per):
    total = senders * per
    box, done = Queue(), Queue()
    gevent.spawn(receiver, box, done, total)
    gevent.sleep(0)
    t0 = time.perf_counter()
    for _ in range(senders):
        gevent.spawn(sender, box, per)
    done.get()
    _common.finish({"seconds": time.perf_counter() - t0, "messages": total})


def main():
    meas, nums, keep_gc = _common.parse_argv()
    gevent.sleep(0)             # create the hub outside the timing
    if meas == "skynet":
        _common.check_leaves(nums[0])
    if meas == "park":
        main_park(nums[0], keep_gc)
    elif meas in ("skynet", "pingpong", "ring", "mailbox"):
        _common.gc_off(keep_gc)
        globals()["main_" + meas](*nums)
    else:
        raise SystemExit("not measured by the gevent peer: " + meas)


if __name__ == "__main__":
    main()
