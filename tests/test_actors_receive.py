"""Selective receive, timeouts, default=, polling, and no lost wake-ups."""
import random
import time

import pytest

import actors


def fill_and_run(msgs, body):
    """Run body() in an actor whose mailbox already holds msgs."""
    def main():
        me = actors.self()
        for m in msgs:
            actors.send(me, m)
        return body()
    return actors.run(main)


def drain():
    out = []
    while True:
        m = actors.receive(timeout=0, default=StopIteration)
        if m is StopIteration:
            return out
        out.append(m)


def test_receive_by_type_keeps_others_in_order():
    msgs = ["a", 1, "b", 2.5, 3, "c"]

    def body():
        first = actors.receive(int, timeout=1)
        second = actors.receive(int, timeout=1)
        return first, second, drain()
    assert fill_and_run(msgs, body) == (1, 3, ["a", "b", 2.5, "c"])


def test_receive_by_tuple_of_types():
    msgs = ["a", b"x", 1, 2.0, None]

    def body():
        got = [actors.receive((int, float), timeout=1) for _ in range(2)]
        return got, drain()
    assert fill_and_run(msgs, body) == ([1, 2.0], ["a", b"x", None])


def test_receive_by_predicate():
    msgs = [("x", 1), ("y", 2), ("x", 3), ("y", 4)]

    def body():
        ys = [actors.receive(lambda m: m[0] == "y", timeout=1)
              for _ in range(2)]
        return ys, drain()
    assert fill_and_run(msgs, body) == ([("y", 2), ("y", 4)],
                                        [("x", 1), ("x", 3)])


def test_predicate_called_with_each_message_until_match():
    seen = []

    def pred(m):
        seen.append(m)
        return m == 3

    def body():
        return actors.receive(pred, timeout=1), drain()
    assert fill_and_run([1, 2, 3, 4], body) == (3, [1, 2, 4])
    assert seen[:3] == [1, 2, 3]


def test_selective_receive_waits_for_later_matching_message():
    def sender(dest):
        for m in ["n1", "n2", 7, "n3"]:
            actors.sleep(0.005)
            actors.send(dest, m)

    def main():
        actors.spawn(sender, actors.self())
        got = actors.receive(int, timeout=5)
        actors.sleep(0.05)
        return got, drain()
    assert actors.run(main) == (7, ["n1", "n2", "n3"])


def test_selective_receive_with_predicate_waits_for_later_message():
    def sender(dest):
        for m in range(10):
            actors.sleep(0.002)
            actors.send(dest, m)

    def main():
        actors.spawn(sender, actors.self())
        got = actors.receive(lambda m: m == 6, timeout=5)
        actors.sleep(0.05)
        return got, drain()
    assert actors.run(main) == (6, [0, 1, 2, 3, 4, 5, 7, 8, 9])


def test_predicate_exception_propagates_to_receiver():
    def pred(m):
        raise ValueError("bad matcher")

    def body():
        with pytest.raises(ValueError, match="bad matcher"):
            actors.receive(pred, timeout=1)
        return drain()
    # message left in the mailbox
    assert fill_and_run(["m"], body) == ["m"]


def test_receive_timeout_raises_timeout():
    def main():
        t0 = time.monotonic()
        with pytest.raises(actors.Timeout):
            actors.receive(timeout=0.1)
        return time.monotonic() - t0
    elapsed = actors.run(main)
    assert 0.09 <= elapsed < 2.0


def test_selective_receive_timeout_with_unmatched_messages():
    def body():
        t0 = time.monotonic()
        with pytest.raises(actors.Timeout):
            actors.receive(int, timeout=0.05)
        return time.monotonic() - t0, drain()
    elapsed, rest = fill_and_run(["a", "b"], body)
    assert 0.04 <= elapsed < 2.0
    assert rest == ["a", "b"]


def test_predicate_receive_timeout_while_nonmatching_keep_arriving():
    def sender(dest):
        for i in range(40):
            actors.send(dest, "noise")
            actors.sleep(0.005)

    def main():
        actors.spawn(sender, actors.self())
        t0 = time.monotonic()
        r = actors.receive(lambda m: m == "signal", timeout=0.1,
                           default="dflt")
        return r, time.monotonic() - t0
    r, elapsed = actors.run(main)
    assert r == "dflt"
    assert 0.09 <= elapsed < 1.5


def test_receive_default_returned_instead_of_timeout():
    sentinel = object()

    def main():
        return actors.receive(timeout=0.01, default=sentinel)
    assert actors.run(main) is sentinel


def test_receive_default_none_is_a_real_default():
    def main():
        return actors.receive(timeout=0.01, default=None)
    assert actors.run(main) is None


def test_receive_timeout_zero_polls():
    def main():
        t0 = time.monotonic()
        with pytest.raises(actors.Timeout):
            actors.receive(timeout=0)
        r1 = actors.receive(timeout=0, default="empty")
        actors.send(actors.self(), "x")
        r2 = actors.receive(timeout=0)
        r3 = actors.receive(str, timeout=0, default="nomatch")
        actors.send(actors.self(), 1)
        r4 = actors.receive(str, timeout=0, default="nomatch")
        return r1, r2, r3, r4, drain(), time.monotonic() - t0
    r1, r2, r3, r4, rest, elapsed = actors.run(main)
    assert (r1, r2, r3, r4, rest) == ("empty", "x", "nomatch", "nomatch", [1])
    assert elapsed < 0.5


def test_negative_timeout_polls():
    def main():
        return actors.receive(timeout=-1, default="d")
    assert actors.run(main) == "d"


def test_message_arriving_before_timeout_wins():
    def sender(dest):
        actors.sleep(0.02)
        actors.send(dest, "late but in time")

    def main():
        actors.spawn(sender, actors.self())
        return actors.receive(timeout=2)
    assert actors.run(main) == "late but in time"


def test_stale_timer_does_not_wake_later_receive():
    # A receive with a timeout that got its message early leaves a timer
    # behind; the next, untimed receive must not be woken by it.
    def sender(dest):
        actors.sleep(0.15)
        actors.send(dest, "second")

    def main():
        actors.send(actors.self(), "first")
        a = actors.receive(timeout=0.05)
        actors.spawn(sender, actors.self())
        b = actors.receive(timeout=0.05, default="timeout")
        c = actors.receive()           # must wait for "second"
        return a, b, c
    assert actors.run(main) == ("first", "timeout", "second")


def test_timeout_after_woken_by_nonmatching_messages():
    def main():
        me = actors.self()

        def noise():
            for _ in range(5):
                actors.send(me, "noise")
                actors.sleep(0.01)
        actors.spawn(noise)
        with pytest.raises(actors.Timeout):
            actors.receive(lambda m: False, timeout=0.2)
        return len(drain())
    assert actors.run(main) == 5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_lost_messages_with_selective_waiters(seed):
    """N waiters each wait for their own Go with a selective matcher (type,
    predicate or tuple of types); 7 senders deliver matching and
    non-matching messages in a seeded random order, interleaved with
    yields.  Every waiter gets its Go and, at the end, exactly its one
    'noise' message is still in its mailbox."""
    n = 1000
    rng = random.Random(seed)

    class Go(tuple):
        pass

    def waiter(parent, i, kind):
        if kind == 0:
            m = actors.receive(Go, timeout=20)
        elif kind == 1:
            m = actors.receive(lambda m: isinstance(m, Go) and m[1] == i,
                               timeout=20)
        else:
            m = actors.receive((Go, bytes), timeout=20)
        assert m == ("go", i)
        actors.send(parent, ("got", i))
        actors.receive(lambda m: m == "report", timeout=20)
        actors.send(parent, ("noise", i, drain()))

    def sender(parent, jobs):
        for yield_after, pid, msg in jobs:
            actors.send(pid, msg)
            if yield_after:
                actors.sleep(0)
        actors.send(parent, "sender done")

    def main():
        me = actors.self()
        pids = [actors.spawn(waiter, me, i, i % 3) for i in range(n)]
        if rng.random() < 0.5:
            actors.sleep(0)
        jobs = []
        for i, pid in enumerate(pids):
            jobs.append((rng.random() < 0.3, pid, Go(("go", i))))
            jobs.append((rng.random() < 0.3, pid, "noise"))
        rng.shuffle(jobs)
        for k in range(7):
            actors.spawn(sender, me, jobs[k::7])
        got = set()
        for _ in range(n):
            tag, i = actors.receive(lambda m: isinstance(m, tuple)
                                    and m[0] == "got", timeout=20)
            got.add(i)
        for _ in range(7):
            actors.receive(lambda m: m == "sender done", timeout=20)
        for pid in pids:
            pid.send("report")
        noise = {}
        for _ in range(n):
            _, i, rest = actors.receive(timeout=20)
            noise[i] = rest
        return got, noise
    t0 = time.monotonic()
    got, noise = actors.run(main)
    assert got == set(range(n))
    assert all(noise[i] == ["noise"] for i in range(n)), \
        [(i, v) for i, v in noise.items() if v != ["noise"]][:5]
    assert time.monotonic() - t0 < 30


def test_receive_in_class_actor_handler_is_selective():
    class Collector(actors.Actor):
        def receive(self, msg):
            if msg == "collect":
                nums = [actors.receive(int, timeout=2) for _ in range(3)]
                return nums
            return None

    def main():
        c = actors.spawn(Collector)
        c.send(1)
        c.send(2)
        c.send(3)
        # the ints arrive before "collect"; the handler sees them first and
        # ignores them, so send more after.
        res = []

        def feeder():
            actors.sleep(0.02)
            for i in (10, 20, 30):
                c.send(i)
        actors.spawn(feeder)
        res = c.ask("collect", timeout=5)
        return res
    assert actors.run(main) == [10, 20, 30]


# A message to an actor waiting in a plain receive() with nothing in its
# mailbox is handed to it directly (process.pxi: deliver); these check that
# it still counts as the head of the actor's mail.

def test_a_handed_message_comes_before_mail_sent_after_it():
    def waiter(main):
        actors.send(main, [actors.receive() for _ in range(4)])

    def main():
        w = actors.spawn(waiter, actors.self())
        actors.sleep(0.01)                # w waits, its mailbox empty
        for m in ("first", "second", "third"):
            actors.send(w, m)             # one turn: w has not run yet
        actors.sleep(0.01)
        actors.send(w, "fourth")
        return actors.receive(timeout=5)
    assert actors.run(main) == ["first", "second", "third", "fourth"]


def test_a_handed_message_stays_in_the_mailbox_if_the_wait_ends_otherwise():
    # An exit signal reaches w after the message was handed over and before
    # w ran: receive() raises, and the message is the mailbox's head.
    def waiter(main):
        try:
            actors.receive()
        except BaseException as e:
            caught = type(e).__name__
        else:
            caught = None
        actors.send(main, (caught, drain()))

    def main():
        w = actors.spawn(waiter, actors.self())
        actors.sleep(0.01)
        actors.send(w, "handed")
        actors.send(w, "queued")
        actors.exit(w, "stop")
        return actors.receive(timeout=5)
    caught, mail = actors.run(main)
    assert caught is not None
    assert mail == ["handed", "queued"]


def test_a_request_handed_to_an_actor_that_ends_unwoken_is_answered():
    # The handed request goes back to the mailbox when the exit signal ends
    # the wait, and the actor's end answers it (a dead letter naming it).
    def waiter():
        actors.receive()

    def main():
        w = actors.spawn(waiter)
        actors.sleep(0.01)
        count = actors.dead_letters()[0]
        actors.send(w, actors.Request("q", actors.self(), None))
        actors.exit(w, "stop")            # the same turn: w has not run
        actors.sleep(0.05)
        n, recent = actors.dead_letters()
        return n - count, [(d, m.msg) for d, m in recent[-1:]], w
    added, recent, w = actors.run(main)
    assert added == 1
    assert recent == [(w, "q")]


def test_a_handed_message_is_traced_and_counted_as_received():
    events = []

    def waiter(main):
        actors.send(main, actors.receive())

    def main():
        w = actors.spawn(waiter, actors.self())
        actors.sleep(0.01)
        before = actors.metrics()["messages_received"]
        t = actors.trace(w, to=events.append, events=("receive",), limit=5)
        actors.send(w, "m")
        got = actors.receive(timeout=5)
        t.stop()
        return got, actors.metrics()["messages_received"] - before
    got, received = actors.run(main)
    assert got == "m"
    assert [(e.kind, e.msg) for e in events] == [("receive", "m")]
    assert received == 2                  # w's "m", then main's reply
