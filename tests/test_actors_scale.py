"""Scale: a million short-lived actors without growth; run()'s shutdown of
leftover actors; memory retained by long-lived actors' bookkeeping."""
import ctypes
import gc
import os
import time

import actors
from _subproc import assert_ok, run_in_subprocess


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _malloc_trim():
    """Hand glibc's free heap pages back, so that RSS measures memory that
    is still held rather than where malloc happened to put big tables."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def settle():
    for _ in range(3):
        gc.collect()
    _malloc_trim()
    return rss(), len(gc.get_objects())


def child(parent, i):
    parent.send(i)


class Replier(actors.Actor):
    def receive(self, msg):
        msg.send(-1)


def test_million_short_lived_actors_no_growth():
    """1,000,000 actors (half process-style, half class-style) in batches
    of 10,000: after a warm-up of 100,000, neither RSS nor the gc object
    count grows."""
    batch, total, warmup = 10000, 1000000, 100000
    samples = []

    def one_batch(me):
        cs = []
        for i in range(batch // 2):
            actors.spawn(child, me, i)
            c = actors.spawn(Replier)
            c.send(me)
            cs.append(c)
        s = 0
        for _ in range(batch):
            s += actors.receive(timeout=10)
        assert s == sum(range(batch // 2)) - batch // 2
        for c in cs:
            actors.exit(c, "kill")
        del cs[:]
        actors.sleep(0)              # let the killed ones end

    def main():
        me = actors.self()
        t0 = time.monotonic()
        done = 0
        while done < warmup:
            one_batch(me)
            done += batch
        samples.append(settle())
        while done < total:
            one_batch(me)
            done += batch
            if done % 300000 == 0:
                samples.append(settle())
        actors.sleep(0)
        samples.append(settle())
        return done, time.monotonic() - t0
    done, elapsed = actors.run(main)
    assert done == total
    assert elapsed < 60
    base_rss, base_objs = samples[0]
    for r, n in samples[1:]:
        assert r - base_rss < 4 * 1024 * 1024, (
            "RSS grew by %d KB" % ((r - base_rss) // 1024), samples)
        assert n - base_objs < 200, ("gc objects grew", samples)


def test_many_alive_at_once_then_gone():
    """200,000 actors parked in receive, then all released: the memory they
    took comes back to the same level on a second round."""
    n = 200000

    def parked(parent):
        actors.receive()
        parent.send(1)

    def round_(me):
        pids = [actors.spawn(parked, me) for _ in range(n)]
        actors.sleep(0)
        for p in pids:
            p.send("go")
        del pids[:]
        return sum(actors.receive(timeout=10) for _ in range(n))

    def main():
        me = actors.self()
        assert round_(me) == n
        first = settle()
        assert round_(me) == n
        second = settle()
        assert round_(me) == n
        third = settle()
        return first, second, third
    first, second, third = actors.run(main)
    # Memory against the second round: with CPython's JIT on (3.15,
    # PYTHON_JIT=1) the first round warms up code whose C frames are deeper,
    # so from the second round on each parked actor's stack slice is a size
    # class bigger, and the first class's blocks stay in the arena.
    assert third[0] - second[0] < 4 * 1024 * 1024, (first, second, third)
    assert third[1] - first[1] < 200, (first, second, third)


def test_long_lived_monitoring_actor_does_not_grow():
    """A long-lived watcher (think supervisor) monitoring a stream of
    short-lived actors must not keep a record per dead actor."""
    per_round, rounds = 50000, 6
    samples = []

    def main():
        for r in range(rounds):
            for _ in range(per_round):
                actors.spawn_monitor(lambda: None)
            for _ in range(per_round):
                d = actors.receive(timeout=10)
                assert type(d) is actors.Down
            if r >= 1:
                samples.append(settle())
    actors.run(main)
    growth = samples[-1][0] - samples[0][0]
    # 200,000 dead monitors: more than 4 MB is a record kept per monitor
    assert growth < 4 * 1024 * 1024, (
        "RSS grew by %d KB over %d monitors of dead actors"
        % (growth // 1024, per_round * (rounds - 2)), samples)


def test_asks_and_timed_receives_do_not_accumulate():
    """A receive with a timeout that got its message (every ask() inside an
    actor is one) must not leave memory behind until the timeout expires."""
    samples = []

    class Echo(actors.Actor):
        def receive(self, msg):
            return msg

    def main():
        e = actors.spawn(Echo)
        me = actors.self()
        for r in range(5):
            for i in range(50000):
                actors.ask(e, i, timeout=60)
                me.send(i)
                actors.receive(timeout=60)
            samples.append(settle())
    t0 = time.monotonic()
    actors.run(main)
    assert time.monotonic() - t0 < 30
    assert samples[-1][1] - samples[0][1] < 200, (
        "gc objects grew by %d over 200,000 asks/receives"
        % (samples[-1][1] - samples[0][1]), samples)


def test_run_shuts_down_leftover_actors_with_shutdown():
    """Actors still alive when main returns end with reason 'shutdown' (seen
    by a monitor in another System) and their finally blocks run."""
    finals = []
    downs = []

    def worker(i):
        try:
            actors.receive()
        finally:
            finals.append(i)

    def sleeper():
        try:
            actors.sleep(3600)
        finally:
            finals.append("sleeper")

    class Idle(actors.Actor):
        def receive(self, msg):
            pass

    def trapper():
        actors.trap_exits(True)
        try:
            while True:
                actors.receive()
        finally:
            finals.append("trapper")

    def watch_all(pids, reply_to):
        for p in pids:
            actors.monitor(p)
        reply_to.send("watching")
        for _ in pids:
            downs.append(actors.receive(actors.Down, timeout=10))

    with actors.System() as watchers:
        def main():
            pids = [actors.spawn(worker, i) for i in range(100)]
            pids.append(actors.spawn(sleeper))
            pids.append(actors.spawn(Idle))
            pids.append(actors.spawn(trapper))
            pids[-2].send("hello")
            watchers.spawn(watch_all, pids, actors.self())
            actors.receive(lambda m: m == "watching", timeout=5)
            return pids
        t0 = time.monotonic()
        pids = actors.run(main)
        assert time.monotonic() - t0 < 5
        deadline = time.monotonic() + 10
        while len(downs) < len(pids) and time.monotonic() < deadline:
            time.sleep(0.01)
    assert not any(p.alive for p in pids)
    assert sorted(f for f in finals if isinstance(f, int)) == list(range(100))
    assert "sleeper" in finals and "trapper" in finals
    assert sorted(d.pid for d in downs) == sorted(pids)
    assert all(d.reason == "shutdown" for d in downs), \
        [d.reason for d in downs if d.reason != "shutdown"]


def test_million_actors_subprocess_exit_with_leftovers():
    # Many actors still parked when run() ends, then interpreter exit.
    proc = run_in_subprocess("""
        import actors
        def main():
            for _ in range(100000):
                actors.spawn(actors.receive)
            return "spawned"
        print(actors.run(main))
        print(actors.run(lambda: "second run"))
    """, timeout=60)
    assert_ok(proc, "spawned\nsecond run\n")
