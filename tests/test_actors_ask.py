"""ask(): class-style replies, Request.reply, dead targets, timeouts, asks
from plain threads and from asyncio."""
import asyncio
import threading
import time

import pytest

import actors
from actors import _backend


class Echo(actors.Actor):
    def __init__(self):
        self.calls = 0

    def receive(self, msg):
        self.calls += 1
        if msg == "calls":
            return self.calls
        if msg == "boom":
            raise ValueError("boom!")
        if msg == "die":
            raise RuntimeError("dying")
        if isinstance(msg, tuple) and msg[0] == "sleep":
            actors.sleep(msg[1])
            return "slept"
        return ("echo", msg)


def test_actor_reply_is_return_value():
    def main():
        pid = actors.spawn(Echo)
        return actors.ask(pid, "hi"), pid.ask(123, timeout=1)
    assert actors.run(main) == (("echo", "hi"), ("echo", 123))


def test_actor_return_none_is_a_reply():
    class Nothing(actors.Actor):
        def receive(self, msg):
            return None

    def main():
        t0 = time.monotonic()
        r = actors.ask(actors.spawn(Nothing), "x", timeout=3)
        return r, time.monotonic() - t0
    r, elapsed = actors.run(main)
    assert r is None and elapsed < 1


def test_actor_exception_raised_in_caller_and_actor_survives():
    def main():
        pid = actors.spawn(Echo)
        with pytest.raises(ValueError, match="boom!"):
            actors.ask(pid, "boom")
        assert pid.alive
        with pytest.raises(ValueError):
            pid.ask("boom")
        return actors.ask(pid, "calls"), pid.alive
    assert actors.run(main) == (3, True)


def test_actor_exception_in_plain_send_kills_it_and_is_logged(caplog):
    def main():
        pid, ref = actors.spawn_monitor(Echo)
        pid.send("die")
        return actors.receive(actors.Down, timeout=5)
    with caplog.at_level("ERROR", logger="actors"):
        down = actors.run(main)
    assert isinstance(down.reason, RuntimeError)
    assert any("dying" in (r.exc_text or "") or
               (r.exc_info and "dying" in str(r.exc_info[1]))
               for r in caplog.records)


def test_blocking_handler_ask():
    def main():
        pid = actors.spawn(Echo)
        return actors.ask(pid, ("sleep", 0.02))
    assert actors.run(main) == "slept"


def test_many_concurrent_askers_of_one_actor():
    def asker(parent, pid, i):
        actors.send(parent, (i, actors.ask(pid, i)))

    def main():
        me = actors.self()
        pid = actors.spawn(Echo)
        for i in range(500):
            actors.spawn(asker, me, pid, i)
        res = dict(actors.receive(timeout=10) for _ in range(500))
        return res, pid.ask("calls")
    res, calls = actors.run(main)
    assert res == {i: ("echo", i) for i in range(500)}
    assert calls == 501


def test_process_style_request_reply():
    def server():
        while True:
            req = actors.receive()
            if isinstance(req, actors.Request):
                if req.msg == "stop":
                    req.reply("bye")
                    return
                req.reply(req.msg * 2)

    def main():
        pid = actors.spawn(server)
        a = actors.ask(pid, 21)
        b = pid.ask("ab")
        c = pid.ask("stop")
        return a, b, c
    assert actors.run(main) == (42, "abab", "bye")


def test_request_repr_and_msg():
    def server(parent):
        req = actors.receive(actors.Request)
        actors.send(parent, (req.msg, repr(req)))
        req.reply(None)

    def main():
        pid = actors.spawn(server, actors.self())
        assert actors.ask(pid, "payload") is None
        return actors.receive(timeout=1)
    assert actors.run(main) == ("payload", "Request('payload')")


def test_request_reply_twice_is_an_error():
    def server(parent):
        req = actors.receive(actors.Request)
        req.reply(1)
        try:
            req.reply(2)
        except actors.ActorError:
            actors.send(parent, "second reply refused")

    def main():
        pid = actors.spawn(server, actors.self())
        r = actors.ask(pid, "x")
        return r, actors.receive(timeout=2), actors.receive(timeout=0.05,
                                                           default=None)
    assert actors.run(main) == (1, "second reply refused", None)


def test_reply_after_ask_timeout_does_not_pollute_mailbox():
    def slow():
        req = actors.receive(actors.Request)
        actors.sleep(0.1)
        req.reply("late")

    def main():
        pid = actors.spawn(slow)
        with pytest.raises(actors.Timeout):
            actors.ask(pid, "x", timeout=0.02)
        actors.sleep(0.2)
        return actors.receive(timeout=0, default="clean")
    # the reply to an ask that gave up is dropped: nothing reads it
    assert actors.run(main) == "clean"


def test_late_replies_of_many_asks_never_reach_the_mailbox():
    # A class-style actor that answers the odd asks slowly: each of them
    # times out, and its reply comes while the next ask waits; each waiting
    # ask gets its own reply, and the mailbox ends empty.
    class Slow(actors.Actor):
        def receive(self, msg):
            if msg % 2:
                actors.sleep(0.03)
            return msg

    def main():
        s = actors.spawn(Slow)
        got, timeouts = [], 0
        for i in range(40):
            try:
                got.append(actors.ask(s, i, timeout=0.01 if i % 2 else 5))
            except actors.Timeout:
                timeouts += 1
        actors.sleep(0.1)
        return got, timeouts, actors.receive(timeout=0, default="empty")
    got, timeouts, left = actors.run(main)
    assert timeouts == 20 and got == list(range(0, 40, 2))
    assert left == "empty"


def test_ask_dead_actor_raises_immediately():
    def main():
        pid = actors.spawn(lambda: None)
        actors.sleep(0.01)
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError):
            actors.ask(pid, "x", timeout=5)
        with pytest.raises(actors.ActorDeadError):
            pid.ask("x", timeout=5)
        return time.monotonic() - t0
    assert actors.run(main) < 0.5


def test_ask_unknown_name_raises_dead_error():
    def main():
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError):
            actors.ask("no-such-name", "x", timeout=5)
        return time.monotonic() - t0
    assert actors.run(main) < 0.5


def test_actor_dying_mid_ask_raises_dead_error():
    def dies():
        actors.receive(actors.Request)
        actors.sleep(0.02)
        raise RuntimeError("gone")

    def main():
        pid = actors.spawn(dies)
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError) as info:
            actors.ask(pid, "x", timeout=5)
        return time.monotonic() - t0, str(info.value)
    waited, message = actors.run(main)
    assert waited < 1.0
    # the error names the target's exit reason, as a monitor's Down would
    assert "before it replied" in message and "gone" in message, message


def test_actor_exiting_normally_without_reply_raises_dead_error():
    def ignores():
        actors.receive(actors.Request)

    def main():
        pid = actors.spawn(ignores)
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError):
            actors.ask(pid, "x", timeout=5)
        return time.monotonic() - t0
    assert actors.run(main) < 1.0


def test_actor_ending_with_unread_request_in_mailbox():
    def busy():
        actors.sleep(0.05)         # never reads its mailbox

    def main():
        pid = actors.spawn(busy)
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError):
            actors.ask(pid, "x", timeout=5)
        return time.monotonic() - t0
    assert actors.run(main) < 1.0


def test_ask_timeout():
    def mute():
        actors.receive(lambda m: m == "never")

    def main():
        pid = actors.spawn(mute)
        t0 = time.monotonic()
        with pytest.raises(actors.Timeout):
            actors.ask(pid, "x", timeout=0.1)
        elapsed = time.monotonic() - t0
        actors.exit(pid, "kill")
        return elapsed, actors.receive(timeout=0, default="no stray Down")
    elapsed, stray = actors.run(main)
    assert 0.09 <= elapsed < 2.0
    assert stray == "no stray Down"


def test_ask_self_in_class_actor_times_out_not_deadlock():
    class Selfish(actors.Actor):
        def receive(self, msg):
            if msg == "go":
                try:
                    actors.ask(actors.self(), "inner", timeout=0.05)
                except actors.Timeout:
                    return "timeout"
            return "inner"

    def main():
        return actors.ask(actors.spawn(Selfish), "go", timeout=3)
    assert actors.run(main) == "timeout"


def test_ask_from_plain_threads_against_system():
    results = {}
    errors = []
    with actors.System() as system:
        pid = system.spawn(Echo)

        def worker(k):
            try:
                for i in range(200):
                    r = actors.ask(pid, (k, i), timeout=10)
                    assert r == ("echo", (k, i))
                results[k] = True
                with pytest.raises(ValueError):
                    pid.ask("boom", timeout=10)
            except BaseException as e:   # reported below
                errors.append(e)
        threads = [threading.Thread(target=worker, args=(k,))
                   for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not any(t.is_alive() for t in threads)
        calls = pid.ask("calls", timeout=10)
    assert not errors, errors
    assert sorted(results) == [0, 1, 2, 3]
    assert calls == 4 * 200 + 4 + 1


def test_ask_from_thread_dead_and_timeout():
    with actors.System() as system:
        mute = system.spawn(lambda: actors.receive(lambda m: m == "never"))
        dead = system.spawn(lambda: None)
        time.sleep(0.05)
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError):
            actors.ask(dead, "x", timeout=5)
        assert time.monotonic() - t0 < 0.5
        t0 = time.monotonic()
        with pytest.raises(actors.Timeout):
            actors.ask(mute, "x", timeout=0.1)
        assert 0.09 <= time.monotonic() - t0 < 2


def test_ask_from_thread_actor_dies_mid_ask():
    def dies():
        actors.receive(actors.Request)
        actors.sleep(0.02)

    with actors.System() as system:
        pid = system.spawn(dies)
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError):
            actors.ask(pid, "x", timeout=2)
        assert time.monotonic() - t0 < 1.0


def test_ask_process_style_from_thread():
    def server():
        while True:
            req = actors.receive(actors.Request)
            req.reply(req.msg + 1)

    with actors.System() as system:
        pid = system.spawn(server)
        assert [actors.ask(pid, i) for i in range(50)] == list(range(1, 51))


def test_ask_async_from_asyncio():
    def server():
        while True:
            req = actors.receive(actors.Request)
            req.reply(req.msg * 10)

    async def client(pid, echo, mute, dead):
        many = await asyncio.gather(*(actors.ask_async(pid, i)
                                      for i in range(100)))
        e = await actors.ask_async(echo, "hi")
        with pytest.raises(ValueError):
            await actors.ask_async(echo, "boom")
        t0 = time.monotonic()
        with pytest.raises(actors.Timeout):
            await actors.ask_async(mute, "x", timeout=0.1)
        assert 0.09 <= time.monotonic() - t0 < 2
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError):
            await actors.ask_async(dead, "x", timeout=5)
        assert time.monotonic() - t0 < 0.5
        return many, e

    with actors.System() as system:
        pid = system.spawn(server)
        echo = system.spawn(Echo)
        mute = system.spawn(lambda: actors.receive(lambda m: m == "never"))
        dead = system.spawn(lambda: None)
        time.sleep(0.05)
        many, e = asyncio.run(asyncio.wait_for(
            client(pid, echo, mute, dead), 30))
    assert many == [i * 10 for i in range(100)]
    assert e == ("echo", "hi")


def test_ask_async_actor_dies_mid_ask():
    def dies():
        actors.receive(actors.Request)
        actors.sleep(0.02)

    async def client(pid):
        t0 = time.monotonic()
        with pytest.raises(actors.ActorDeadError):
            await actors.ask_async(pid, "x", timeout=2)
        return time.monotonic() - t0

    with actors.System() as system:
        pid = system.spawn(dies)
        assert asyncio.run(client(pid)) < 1.0


def test_ask_from_scheduler_thread_outside_actor_is_error():
    holder = []

    def main():
        holder.append(actors.spawn(Echo))
        return "ok"
    # outside run() there is no scheduler: the Echo actor is gone
    assert actors.run(main) == "ok"
    with pytest.raises(actors.ActorDeadError):
        actors.ask(holder[0], "x", timeout=1)


class Halt(BaseException):
    """Not an Exception: it ends the actor instead of being its reply."""


class HaltsWhileAnswering(actors.Actor):
    def receive(self, msg):
        raise Halt("bye")


def test_class_actor_ending_with_a_base_exception_answers_its_asker():
    # The asker, an actor of the same thread, holds no monitor: it is
    # answered at the target's end, not after its 30 s timeout.
    def main():
        with pytest.raises(actors.ActorDeadError):
            actors.ask(actors.spawn(HaltsWhileAnswering), "x", timeout=30)

    t0 = time.monotonic()
    actors.run(main)
    assert time.monotonic() - t0 < 5


def test_a_wait_woken_by_unwanted_messages_still_times_out():
    # A predicate matcher is woken by every message, each turned down; its
    # deadline must survive those wake-ups (deadlines of waits are filed
    # into the timer heap lazily).
    def waiter(main):
        t0 = time.monotonic()
        got = actors.receive(lambda m: m == "wanted", timeout=0.2,
                             default="timed out")
        actors.send(main, (got, time.monotonic() - t0))

    def main():
        w = actors.spawn(waiter, actors.self())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            actors.send(w, "unwanted")
            r = actors.receive(timeout=0.001, default=None)
            if r is not None:
                return r
        return "never timed out"
    got, waited = actors.run(main)
    assert got == "timed out"
    assert waited < 2.0


def test_many_asks_leave_no_timers_behind():
    def main():
        e = actors.spawn(Echo)
        for i in range(5000):
            assert actors.ask(e, i) == ("echo", i)
        actors.sleep(0.01)                # a loop turn files what is left
        return [s["timers"] for s in _backend.core._schedulers()]
    timers = actors.run(main)
    assert max(timers) < 10
