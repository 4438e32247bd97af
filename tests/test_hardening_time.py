"""Issue 9, item 4: time values.  NaN is refused at the call (it used to
spin the loop and block every later timer), inf means forever, and any
finite value works, however large (above ~24.8 days the poller's timeout
used to overflow and kill the scheduler).  Hang-prone cases run in a child
with a timeout."""
import math
import threading
import time

import pytest

import actors
from _subproc import assert_ok, run_in_subprocess

NAN = float("nan")
INF = float("inf")
CENTURY = 100 * 365 * 86400.0


def in_actor(fn):
    box = []

    def main():
        try:
            box.append(fn())
        except BaseException as e:
            box.append(e)
    actors.run(main)
    return box[0]


def test_nan_is_a_value_error_at_the_call():
    # In a child: before the fix each of these hung (or spun) the loop.
    proc = run_in_subprocess("""
        import actors
        NAN = float("nan")
        calls = {
            "receive": lambda: actors.receive(timeout=NAN),
            "receive-match": lambda: actors.receive(int, timeout=NAN,
                                                    default=1),
            "sleep": lambda: actors.sleep(NAN),
            "send_after": lambda: actors.send_after(NAN, actors.self(), 1),
            "ask": lambda: actors.ask(actors.self(), "x", timeout=NAN),
            "wait_readable": lambda: actors.wait_readable(0, timeout=NAN),
            "sleep-neg-inf": lambda: actors.sleep(-float("inf")),
        }
        def main():
            for name, call in calls.items():
                try:
                    call()
                    print(name, "returned")
                except BaseException as e:
                    print(name, type(e).__name__)
        actors.run(main)
        """, timeout=30)
    assert_ok(proc, "".join("%s ValueError\n" % n for n in (
        "receive", "receive-match", "sleep", "send_after", "ask",
        "wait_readable", "sleep-neg-inf")))


@pytest.mark.parametrize("call", [
    lambda: actors.receive(timeout="1"),
    lambda: actors.sleep(None),
    lambda: actors.send_after("soon", actors.self(), "x"),
    lambda: actors.send_after(1, 42, "x"),          # not a destination
])
def test_odd_types_are_type_errors(call):
    assert isinstance(in_actor(call), TypeError)


def test_nan_outside_an_actor():
    with pytest.raises(ValueError):
        actors.sleep(NAN)
    with actors.System() as system:
        pid = system.spawn(lambda: actors.receive())
        with pytest.raises(ValueError):
            actors.ask(pid, "x", timeout=NAN)
        with pytest.raises(ValueError):
            system.stop(timeout=NAN)
        actors.send(pid, "bye")


def test_negative_timeouts_are_deadlines_already_passed():
    def main():
        t = actors.send_after(-1, actors.self(), "now")
        actors.sleep(-0.5)
        return actors.receive(timeout=-2), t.active
    assert in_actor(main) == ("now", False)


def test_periods_refuse_nan():
    from actors import ChildSpec, Supervisor
    with pytest.raises(ValueError):
        Supervisor([], period=NAN)
    with pytest.raises(ValueError):
        ChildSpec(lambda: None, shutdown=NAN)


def test_inf_and_huge_timeouts_do_not_kill_the_loop():
    """Each of these used to raise OverflowError out of the loop."""
    proc = run_in_subprocess("""
        import actors, threading, time
        CENTURY = 100 * 365 * 86400.0
        INF = float("inf")

        def late(dest):
            actors.sleep(0.05)
            actors.send(dest, "late")

        def main():
            me = actors.self()
            out = []
            for t in (INF, CENTURY, 1e300):
                # the message comes from a thread: the loop sleeps with the
                # huge deadline as its only timer
                threading.Timer(0.05, actors.send, (me, "late")).start()
                out.append(actors.receive(timeout=t))
                actors.spawn(late, me)
                out.append(actors.receive(str, timeout=t))
            t1 = actors.send_after(INF, me, "never")
            t2 = actors.send_after(CENTURY, me, "later")
            assert t1.active and t2.active
            sleeper = actors.spawn(actors.sleep, INF)
            huge = actors.spawn(actors.sleep, CENTURY)
            actors.sleep(0.05)            # the loop now waits with them
            assert sleeper.alive and huge.alive
            actors.exit(sleeper, "kill")
            actors.exit(huge, "kill")
            echo = actors.spawn(lambda: actors.receive().reply("pong"))
            out.append(actors.ask(echo, "ping", timeout=INF))
            t2.cancel()
            return out

        print(actors.run(main))
        """, timeout=60)
    assert_ok(proc, "['late', 'late', 'late', 'late', 'late', 'late', "
                    "'pong']\n")


def test_system_with_huge_timeouts_and_thread_asks():
    proc = run_in_subprocess("""
        import actors, threading
        INF = float("inf")

        class Echo(actors.Actor):
            def receive(self, msg):
                return msg

        with actors.System() as system:
            sleeper = system.spawn(actors.sleep, 1e12)
            echo = system.spawn(Echo)
            # from a thread: beyond threading.TIMEOUT_MAX, and inf
            print(actors.ask(echo, 1, timeout=1e13),
                  actors.ask(echo, 2, timeout=INF))
            print(sleeper.alive)
        print("stopped")
        """, timeout=60)
    assert_ok(proc, "1 2\nTrue\nstopped\n")


def test_nan_timer_does_not_block_later_timers():
    """A NaN deadline used to sit at the heap's top forever."""
    proc = run_in_subprocess("""
        import actors
        def main():
            try:
                actors.send_after(float("nan"), actors.self(), "nan")
            except ValueError:
                pass
            actors.send_after(0.01, actors.self(), "ok")
            return actors.receive(timeout=5)
        print(actors.run(main))
        """, timeout=30)
    assert_ok(proc, "ok\n")


def test_ask_async_refuses_nan_and_takes_inf():
    import asyncio

    class Echo(actors.Actor):
        def receive(self, msg):
            return msg

    async def go(pid):
        with pytest.raises(ValueError):
            await actors.ask_async(pid, 1, timeout=NAN)
        return await actors.ask_async(pid, 2, timeout=INF)

    with actors.System() as system:
        pid = system.spawn(Echo)
        assert asyncio.run(go(pid)) == 2


def test_sleep_outside_an_actor_takes_any_value():
    """time.sleep() raises OverflowError for 1e300 and inf."""
    errors = []

    def sleeper(v):
        try:
            actors.sleep(v)
        except BaseException as e:
            errors.append(e)
    for v in (1e300, INF):
        threading.Thread(target=sleeper, args=(v,), daemon=True).start()
    time.sleep(0.1)
    assert errors == []
