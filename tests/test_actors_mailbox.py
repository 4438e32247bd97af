"""Bounded mailboxes (issue 13): spawn(..., mailbox=N) or an Actor class's
`mailbox` attribute.  A local sender waits, yielding, while the mailbox is
full, and gets MailboxFull after the timeout; what cannot wait (code
outside an actor, another thread, the actor itself) delivers anyway."""
import threading
import time

import pytest

import actors
from actors._backend import core as _core


def _size(pid):
    return _core._mailbox_size(pid)


def test_sender_waits_and_nothing_is_lost():
    def consumer(n, report):
        got = []
        for i in range(n):
            got.append(actors.receive())
            if i % 50 == 0:
                actors.sleep(0.001)       # slower than the producer
        actors.send(report, got)

    def main():
        c = actors.spawn(consumer, 3000, actors.self(), mailbox=20)
        peak = 0
        for i in range(3000):
            actors.send(c, i)
            if c.alive:
                peak = max(peak, _size(c)[0])
        return actors.receive(timeout=30), peak

    got, peak = actors.run(main)
    assert got == list(range(3000))
    assert peak <= 20


def test_mailbox_full_after_the_timeout():
    def main():
        c = actors.spawn(actors.sleep, 30, mailbox=(2, 0.2))
        actors.send(c, 1)
        actors.send(c, 2)
        t0 = time.monotonic()
        with pytest.raises(actors.MailboxFull, match="stayed full"):
            actors.send(c, 3)
        waited = time.monotonic() - t0
        assert _size(c) == (2, 2)          # the third was not sent
        actors.exit(c, "kill")
        return waited

    assert actors.run(main) >= 0.19
    assert issubclass(actors.MailboxFull, actors.Timeout)


def test_class_attribute_and_spawn_override():
    class Slow(actors.Actor):
        mailbox = 3

        def receive(self, msg):
            pass

    def main():
        return (_size(actors.spawn(Slow)),
                _size(actors.spawn(Slow, mailbox=7)),
                _size(actors.spawn_link(Slow))[1],
                _size(actors.spawn_monitor(Slow, mailbox=4)[0])[1],
                _size(actors.spawn(actors.sleep, 1)))

    assert actors.run(main) == ((0, 3), (0, 7), 3, 4, (0, None))


@pytest.mark.parametrize("spec, exc", [
    (0, ValueError), (-1, ValueError), ("10", TypeError), (True, TypeError),
    (1.5, TypeError), ((10,), TypeError), ((10, "x"), TypeError),
    ((10, float("nan")), ValueError),
])
def test_bad_bounds(spec, exc):
    def main():
        with pytest.raises(exc):
            actors.spawn(actors.sleep, 0, mailbox=spec)
    actors.run(main)


def test_what_cannot_wait_delivers_anyway():
    """The actor itself, and another thread, go past the bound: a bound
    never loses a message nor deadlocks its own actor."""
    def selfish(report):
        me = actors.self()
        for i in range(5):
            actors.send(me, i)
        actors.send(report, _size(me)[0])
        got = [actors.receive() for _ in range(5)]
        ready = actors.receive()
        actors.send(report, (got, ready))

    def main():
        s = actors.spawn(selfish, actors.self(), mailbox=2)
        n = actors.receive(timeout=5)
        threading.Thread(target=actors.send, args=(s, "from a thread")) \
            .start()
        return n, actors.receive(timeout=5)

    n, (got, ready) = actors.run(main)
    assert n == 5 and got == [0, 1, 2, 3, 4] and ready == "from a thread"


def test_receiver_ending_while_a_sender_waits():
    def main():
        c = actors.spawn(actors.sleep, 0.2, mailbox=(1, 5))
        actors.send(c, 1)
        t0 = time.monotonic()
        actors.send(c, 2)                 # c ends meanwhile: a dead letter
        return time.monotonic() - t0, c.alive

    before = actors.dead_letters()[0]
    took, alive = actors.run(main)
    assert not alive and took < 4
    assert actors.dead_letters()[0] > before
