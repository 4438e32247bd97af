"""sleep, yielding, send_after/Timer, fd waits."""
import os
import socket
import time

import pytest

import actors


def test_sleep_suspends_for_about_the_time():
    def main():
        t0 = time.monotonic()
        actors.sleep(0.1)
        return time.monotonic() - t0
    elapsed = actors.run(main)
    assert 0.095 <= elapsed < 1.0


def test_sleep_outside_actor_is_time_sleep():
    t0 = time.monotonic()
    actors.sleep(0.02)
    assert time.monotonic() - t0 >= 0.019


def test_sleeping_actors_run_concurrently():
    def sleeper(parent, i):
        actors.sleep(0.2)
        actors.send(parent, i)

    def main():
        me = actors.self()
        t0 = time.monotonic()
        for i in range(200):
            actors.spawn(sleeper, me, i)
        got = sorted(actors.receive(timeout=5) for _ in range(200))
        return got, time.monotonic() - t0
    got, elapsed = actors.run(main)
    assert got == list(range(200))
    assert elapsed < 1.5


def test_sleepers_wake_in_deadline_order():
    def sleeper(parent, d):
        actors.sleep(d)
        actors.send(parent, d)

    def main():
        me = actors.self()
        ds = [0.06, 0.01, 0.04, 0.02, 0.05, 0.03]
        for d in ds:
            actors.spawn(sleeper, me, d)
        return [actors.receive(timeout=5) for _ in ds]
    assert actors.run(main) == sorted([0.06, 0.01, 0.04, 0.02, 0.05, 0.03])


def test_sleep_not_interrupted_by_messages():
    def sender(dest):
        for _ in range(5):
            actors.send(dest, "poke")
            actors.sleep(0.01)

    def main():
        actors.spawn(sender, actors.self())
        t0 = time.monotonic()
        actors.sleep(0.15)
        elapsed = time.monotonic() - t0
        pokes = 0
        while actors.receive(timeout=0, default=None) == "poke":
            pokes += 1
        return elapsed, pokes
    elapsed, pokes = actors.run(main)
    assert elapsed >= 0.145
    assert pokes == 5


def test_sleep_zero_yields_so_busy_actors_interleave():
    trace = []

    def busy(tag):
        for i in range(5):
            trace.append(tag)
            actors.sleep(0)

    def main():
        me = actors.self()
        a = actors.spawn_monitor(busy, "a")
        b = actors.spawn_monitor(busy, "b")
        actors.receive(actors.Down, timeout=5)
        actors.receive(actors.Down, timeout=5)
    actors.run(main)
    assert sorted(trace) == ["a"] * 5 + ["b"] * 5
    # without yields it would be aaaaabbbbb
    assert trace == ["a", "b"] * 5


def test_busy_sender_is_preempted_at_send():
    # A tight send loop yields once its budget is spent, so another actor
    # gets to run before it finishes.
    log = []

    def spammer(dest):
        for i in range(20000):
            actors.send(dest, i)
        log.append("spammer done")

    def other():
        log.append("other ran")

    def main():
        me = actors.self()
        actors.spawn(spammer, me)
        actors.spawn(other)
        for _ in range(20000):
            actors.receive(timeout=5)
    actors.run(main)
    assert log.index("other ran") < log.index("spammer done")


def test_send_after_delivers():
    def main():
        t0 = time.monotonic()
        timer = actors.send_after(0.05, actors.self(), "tick")
        assert timer.active
        msg = actors.receive(timeout=5)
        return msg, time.monotonic() - t0, timer.active
    msg, elapsed, active = actors.run(main)
    assert msg == "tick"
    assert 0.045 <= elapsed < 1.0
    assert active is False


def test_send_after_order_and_to_name():
    def main():
        actors.register("timer-target", actors.self())
        actors.send_after(0.03, "timer-target", 3)
        actors.send_after(0.01, actors.self(), 1)
        actors.send_after(0.02, actors.self(), 2)
        actors.send_after(0, actors.self(), 0)
        return [actors.receive(timeout=5) for _ in range(4)]
    assert actors.run(main) == [0, 1, 2, 3]


def test_timer_cancel_prevents_delivery():
    def main():
        t = actors.send_after(0.03, actors.self(), "never")
        first = t.cancel()
        second = t.cancel()
        r = actors.receive(timeout=0.1, default="nothing")
        return first, second, r, t.active
    assert actors.run(main) == (True, False, "nothing", False)


def test_timer_cancel_after_fire_returns_false():
    def main():
        t = actors.send_after(0.01, actors.self(), "fired")
        msg = actors.receive(timeout=5)
        return msg, t.cancel()
    assert actors.run(main) == ("fired", False)


def test_send_after_to_dead_is_dead_letter():
    def main():
        dead = actors.spawn(lambda: None)
        actors.sleep(0.01)
        n0, _ = actors.dead_letters()
        actors.send_after(0.01, dead, "late")
        actors.sleep(0.05)
        n1, recent = actors.dead_letters()
        return n1 - n0, recent[-1], dead
    n, last, dead = actors.run(main)
    assert n == 1 and last == (dead, "late")


def test_send_after_outside_system_raises():
    with pytest.raises(actors.ActorError):
        actors.send_after(0.1, "x", "y")


def test_many_timers_mostly_cancelled():
    def main():
        me = actors.self()
        timers = [actors.send_after(0.02, me, i) for i in range(1000)]
        for i, t in enumerate(timers):
            if i % 10:
                assert t.cancel()
        actors.sleep(0.1)
        got = []
        while True:
            m = actors.receive(timeout=0, default=None)
            if m is None:
                return got
            got.append(m)
    assert actors.run(main) == list(range(0, 1000, 10))


def test_run_does_not_wait_for_pending_cancelled_timer():
    def main():
        t = actors.send_after(30, actors.self(), "far future")
        t.cancel()
        return "ok"
    t0 = time.monotonic()
    assert actors.run(main) == "ok"
    assert time.monotonic() - t0 < 2


def test_run_does_not_wait_for_pending_live_timer():
    def main():
        actors.send_after(30, actors.self(), "far future")
        return "ok"
    t0 = time.monotonic()
    assert actors.run(main) == "ok"
    assert time.monotonic() - t0 < 2


def test_wait_readable_on_pipe():
    r, w = os.pipe()
    try:
        def writer():
            actors.sleep(0.05)
            os.write(w, b"data")

        def main():
            actors.spawn(writer)
            t0 = time.monotonic()
            ok = actors.wait_readable(r, timeout=5)
            return ok, os.read(r, 100), time.monotonic() - t0
        ok, data, elapsed = actors.run(main)
        assert ok is True
        assert data == b"data"
        assert 0.04 <= elapsed < 2
    finally:
        os.close(r)
        os.close(w)


def test_wait_readable_timeout_returns_false():
    r, w = os.pipe()
    try:
        def main():
            t0 = time.monotonic()
            ok = actors.wait_readable(r, timeout=0.05)
            # the fd is usable again afterwards
            os.write(w, b"x")
            ok2 = actors.wait_readable(r, timeout=1)
            return ok, ok2, time.monotonic() - t0
        ok, ok2, elapsed = actors.run(main)
        assert ok is False and ok2 is True
        assert 0.045 <= elapsed < 2
    finally:
        os.close(r)
        os.close(w)


def test_wait_readable_zero_timeout_polls_and_a_refused_wait_leaves_nothing():
    """timeout=0 answers at the next loop turn; a wait refused because
    another actor waits on the fd queues no deadline (none is left for the
    loop to carry from turn to turn)."""
    from actors import _core
    r, w = os.pipe()
    try:
        def holder():
            actors.wait_readable(r, timeout=5)

        def main():
            t0 = time.monotonic()
            polled = actors.wait_readable(r, timeout=0)
            actors.spawn(holder)
            actors.sleep(0.01)
            refused = []
            for _ in range(100):
                try:
                    actors.wait_readable(r, timeout=30)
                except actors.ActorError:
                    refused.append(1)
            timers = _core._schedulers()[0]["timers"]
            os.write(w, b"x")
            return polled, time.monotonic() - t0, len(refused), timers
        polled, elapsed, refused, timers = actors.run(main)
        assert polled is False and elapsed < 2
        assert refused == 100
        # the holder's deadline and main's last sleep's: not a hundred
        # refused ones
        assert timers <= 2, timers
    finally:
        os.close(r)
        os.close(w)


def test_watched_fd_callback_runs_in_the_loop():
    """_watch_fd (what a cluster node's inbox uses): the callback runs in
    the scheduler's loop each time the fd turns readable, again after the
    woken actors when it returns True, never after it is unwatched."""
    from actors import _core
    r, w = os.pipe()
    os.set_blocking(r, False)
    try:
        def main():
            me = actors.self()
            calls = []

            def on_readable():
                data = os.read(r, 1)          # one byte per call
                calls.append(data)
                actors.send(me, data)
                return len(calls) in (2, 3)   # a burst limit, twice

            _core._watch_fd(r, on_readable)
            with pytest.raises(actors.ActorError):
                actors.wait_readable(r, timeout=0.01)
            os.write(w, b"a")
            first = actors.receive(timeout=2)
            os.write(w, b"bcd")                 # 3 bytes: b, then c, d again
            rest = [actors.receive(timeout=2) for _ in range(3)]
            actors.sleep(0.05)
            n = len(calls)
            _core._watch_fd(r, None)
            os.write(w, b"e")
            actors.sleep(0.05)
            late = len(calls) - n
            ok = actors.wait_readable(r, timeout=1)   # usable by actors again
            return first, rest, n, late, ok
        first, rest, n, late, ok = actors.run(main)
        assert first == b"a"
        assert rest == [b"b", b"c", b"d"]
        assert n == 4 and late == 0 and ok is True
    finally:
        os.close(r)
        os.close(w)


def test_wait_readable_other_actors_keep_running():
    r, w = os.pipe()
    try:
        def reader(parent):
            ok = actors.wait_readable(r, timeout=5)
            actors.send(parent, ("read", ok, os.read(r, 10)))

        def main():
            me = actors.self()
            actors.spawn(reader, me)
            ticks = 0
            for _ in range(5):
                actors.sleep(0.005)
                ticks += 1
            os.write(w, b"go")
            return ticks, actors.receive(timeout=5)
        assert actors.run(main) == (5, ("read", True, b"go"))
    finally:
        os.close(r)
        os.close(w)


def test_wait_readable_accepts_fileno_objects():
    a, b = socket.socketpair()
    try:
        def main():
            b.send(b"hi")
            ok = actors.wait_readable(a, timeout=2)
            return ok, a.recv(10)
        assert actors.run(main) == (True, b"hi")
    finally:
        a.close()
        b.close()


def test_wait_writable_on_pipe():
    r, w = os.pipe()
    try:
        def main():
            return actors.wait_writable(w, timeout=2)
        assert actors.run(main) is True
    finally:
        os.close(r)
        os.close(w)


def test_two_actors_waiting_on_same_fd_is_error():
    r, w = os.pipe()
    try:
        def first(parent):
            actors.send(parent, "waiting")
            actors.send(parent, ("first", actors.wait_readable(r, timeout=5)))

        def main():
            me = actors.self()
            actors.spawn(first, me)
            actors.receive(lambda m: m == "waiting", timeout=5)
            actors.sleep(0)
            with pytest.raises(actors.ActorError):
                actors.wait_readable(r, timeout=1)
            os.write(w, b"x")
            return actors.receive(timeout=5)
        assert actors.run(main) == ("first", True)
    finally:
        os.close(r)
        os.close(w)


def test_wait_readable_actor_killed_while_waiting_releases_fd():
    r, w = os.pipe()
    try:
        def reader():
            actors.wait_readable(r)

        def main():
            pid, ref = actors.spawn_monitor(reader)
            actors.sleep(0.01)
            actors.exit(pid, "kill")
            actors.receive(actors.Down, timeout=5)
            os.write(w, b"x")
            # the fd must be free for another waiter now
            return actors.wait_readable(r, timeout=1)
        assert actors.run(main) is True
    finally:
        os.close(r)
        os.close(w)


def test_wait_readable_outside_actor_raises():
    r, w = os.pipe()
    try:
        with pytest.raises(actors.ActorError):
            actors.wait_readable(r, timeout=0)
    finally:
        os.close(r)
        os.close(w)


def test_deadlines_of_waits_woken_and_refused_again_still_fire():
    # A deadline waits in a list for a loop turn before it enters the heap;
    # an actor woken by mail its receive() turns down keeps its deadline
    # through those turns.  Each of many such actors times out at its own
    # deadline, neither early nor never; a second wait of the same actor
    # gets the second deadline, not the first.
    def waiter(parent, t):
        t0 = time.monotonic()
        got = actors.receive(int, timeout=t, default="timed out")
        first = time.monotonic() - t0
        t0 = time.monotonic()
        again = actors.receive(int, timeout=t, default="timed out")
        actors.send(parent, (got, first, again, time.monotonic() - t0))

    def main():
        me = actors.self()
        pids = [actors.spawn(waiter, me, 0.15 + (i % 3) * 0.05)
                for i in range(600)]
        for _ in range(20):                   # wake them, refused, again
            for p in pids:
                actors.send(p, "not an int")
            actors.sleep(0.005)
        return [actors.receive(tuple) for _ in pids]

    results = actors.run(main)
    assert len(results) == 600
    for got, first, again, second in results:
        assert got == "timed out" and again == "timed out"
        assert 0.14 <= first < 2.0 and 0.14 <= second < 2.0, (first, second)
