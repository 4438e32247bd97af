"""asyncio peer of bench_actors.py: tasks on the default event loop, an
asyncio.Queue as each actor's mailbox (the Queue is its address: send is
put_nowait(), receive is `await get()`).  An actor that never receives
gets no mailbox (skynet's leaves, the mailbox senders).

    python peers/peer_asyncio.py MEASUREMENT ARG... [--no-gc]
"""
import asyncio
import time

import _common

# The event loop keeps only weak references to tasks; the ones that are
# parked stay alive through their mailbox (Queue -> waiter future -> task),
# the others through the loop's ready queue.


# -- skynet ---------------------------------------------------------------

async def skynet(parent, num, size):
    if size == 1:
        parent.put_nowait(num)
        return
    box = asyncio.Queue()
    size //= 10
    loop = asyncio.get_running_loop()
    for i in range(10):
        loop.create_task(skynet(box, num + i * size, size))
    total = 0
    for _ in range(10):
        total += await box.get()
    parent.put_nowait(total)


async def main_skynet(leaves):
    box = asyncio.Queue()
    t0 = time.perf_counter()
    task = asyncio.get_running_loop().create_task(skynet(box, 0, leaves))
    result = await box.get()
    _common.finish({"seconds": time.perf_counter() - t0, "result": result})


# -- ping-pong ------------------------------------------------------------

async def pong(box):
    while True:
        sender = await box.get()
        if sender is None:
            return
        sender.put_nowait(1)


async def main_pingpong(n, repeat):
    mine = asyncio.Queue()
    best = None
    keep = []
    for _ in range(repeat):
        pbox = asyncio.Queue()
        keep.append(asyncio.get_running_loop().create_task(pong(pbox)))
        t0 = time.perf_counter()
        for _ in range(n):
            pbox.put_nowait(mine)
            await mine.get()
        s = time.perf_counter() - t0
        pbox.put_nowait(None)
        best = s if best is None else min(best, s)
    _common.finish({"seconds": best})


# -- park -----------------------------------------------------------------

async def main_park(n, keep_gc):
    started = [0]

    async def parked(box):
        started[0] += 1
        await box.get()

    loop = asyncio.get_running_loop()
    keep = [None] * n           # the mailboxes: each holds its waiter
    _common.gc_off(keep_gc)
    rss0 = _common.rss_bytes()
    t0 = time.perf_counter()
    for i in range(n):
        keep[i] = box = asyncio.Queue()
        loop.create_task(parked(box))
    while started[0] < n:       # one loop pass starts all of them
        await asyncio.sleep(0)
    s = time.perf_counter() - t0
    rss1 = _common.rss_bytes()
    _common.finish({"seconds": s, "rss_delta": rss1 - rss0,
                    "parked": started[0]})


# -- ring -----------------------------------------------------------------

async def ring_node(box, nxt, done, started):
    started[0] += 1
    while True:
        t = await box.get()
        if t == 0:
            done.put_nowait("done")
            return
        nxt.put_nowait(t - 1)


async def main_ring(n, laps):
    loop = asyncio.get_running_loop()
    boxes = [asyncio.Queue() for _ in range(n)]
    done = asyncio.Queue()
    started = [0]
    tasks = [loop.create_task(ring_node(boxes[i], boxes[(i + 1) % n], done,
                                        started)) for i in range(n)]
    while started[0] < n:
        await asyncio.sleep(0)
    m = n * laps
    t0 = time.perf_counter()
    boxes[0].put_nowait(m)
    await done.get()
    _common.finish({"seconds": time.perf_counter() - t0, "messages": m})


# -- mailbox --------------------------------------------------------------

async def receiver(box, done, total):
    for _ in range(total):
        await box.get()
    done.put_nowait("done")


async def sender(dest, k):
    for i in range(k):
        dest.put_nowait(i)


async def main_mailbox(senders, per):
    loop = asyncio.get_running_loop()
    total = senders * per
    box, done = asyncio.Queue(), asyncio.Queue()
    r = loop.create_task(receiver(box, done, total))
    await asyncio.sleep(0)
    t0 = time.perf_counter()
    tasks = [loop.create_task(sender(box, per)) for _ in range(senders)]
    await done.get()
    _common.finish({"seconds": time.perf_counter() - t0, "messages": total})


def main():
    meas, nums, keep_gc = _common.parse_argv()
    if meas == "skynet":
        _common.check_leaves(nums[0])
    loop = asyncio.new_event_loop()
    if meas == "park":
        loop.run_until_complete(main_park(nums[0], keep_gc))
    elif meas in ("skynet", "pingpong", "ring", "mailbox"):
        _common.gc_off(keep_gc)
        loop.run_until_complete(globals()["main_" + meas](*nums))
    else:
        raise SystemExit("not measured by the asyncio peer: " + meas)


if __name__ == "__main__":
    main()
