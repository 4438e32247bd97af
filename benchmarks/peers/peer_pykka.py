"""Pykka peer of bench_actors.py: pykka.ThreadingActor, one OS thread per
actor, so it only takes part where a few actors suffice: ping-pong (with
tell), the ask round trip, and spawn+park with a small N (the bench caps
it at 1,000 and marks the cell).

    python peers/peer_pykka.py MEASUREMENT ARG... [--no-gc]
"""
import threading
import time

import pykka

import _common


# -- ping-pong: two actors, tell() both ways --------------------------------

class Pong(pykka.ThreadingActor):
    def on_receive(self, message):
        message.tell(1)             # the message is the sender's ActorRef


class Ping(pykka.ThreadingActor):
    def __init__(self, pong, n, done):
        super().__init__()
        self.pong, self.n, self.done = pong, n, done
        self.left = 0
        self.t0 = 0.0

    def on_receive(self, message):
        if message == "go":
            self.left = self.n
            self.t0 = time.perf_counter()
        else:
            self.left -= 1
            if self.left == 0:
                self.done.set(time.perf_counter() - self.t0)
                return
        self.pong.tell(self.actor_ref)


def main_pingpong(n, repeat):
    best = None
    for _ in range(repeat):
        pong = Pong.start()
        done = pykka.ThreadingFuture()
        ping = Ping.start(pong, n, done)
        ping.tell("go")
        s = done.get(timeout=3600)
        ping.stop()
        pong.stop()
        best = s if best is None else min(best, s)
    _common.finish({"seconds": best})


# -- ask: one actor asks another, n times -----------------------------------

class Echo(pykka.ThreadingActor):
    def on_receive(self, message):
        return message


class Asker(pykka.ThreadingActor):
    def __init__(self, echo):
        super().__init__()
        self.echo = echo

    def on_receive(self, n):
        ask = self.echo.ask
        t0 = time.perf_counter()
        for i in range(n):
            ask(i)
        return time.perf_counter() - t0


def main_ask(n, repeat):
    echo = Echo.start()
    asker = Asker.start(echo)
    best = min(asker.ask(n, timeout=3600) for _ in range(repeat))
    _common.finish({"seconds": best})


# -- park: N actors idle in their inbox, each a thread ----------------------

class Parked(pykka.ThreadingActor):
    def __init__(self, started):
        super().__init__()
        self.started = started

    def on_start(self):
        self.started.release()


def main_park(n, keep_gc):
    started = threading.Semaphore(0)
    keep = [None] * n
    _common.gc_off(keep_gc)
    rss0 = _common.rss_bytes()
    t0 = time.perf_counter()
    for i in range(n):
        keep[i] = Parked.start(started)
    for _ in range(n):              # every actor's thread is in its loop
        started.acquire()
    s = time.perf_counter() - t0
    rss1 = _common.rss_bytes()
    _common.finish({"seconds": s, "rss_delta": rss1 - rss0, "parked": n})


def main():
    meas, nums, keep_gc = _common.parse_argv()
    if meas == "park":
        main_park(nums[0], keep_gc)
    elif meas in ("pingpong", "ask"):
        _common.gc_off(keep_gc)
        globals()["main_" + meas](*nums)
    else:
        raise SystemExit("not measured by the Pykka peer (one thread per "
                         "actor): " + meas)


if __name__ == "__main__":
    main()
