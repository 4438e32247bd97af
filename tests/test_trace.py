"""actors.trace(): events of chosen actors to a callback or an actor,
bounded by a count or a rate."""
import pytest

import actors


def echo_once():
    m = actors.receive()
    actors.send(m[0], ("re", m[1]))


def parked():
    actors.receive()


def test_trace_one_pid_to_a_callback():
    events = []

    def main():
        p = actors.spawn(echo_once)
        other = actors.spawn(parked)
        t = actors.trace(p, to=events.append, limit=100)
        actors.send(other, "not traced")
        actors.send(p, (actors.self(), 1))
        assert actors.receive() == ("re", 1)
        actors.sleep(0)
        t.stop()
        assert t.stopped == "stopped"
        actors.exit(other, "kill")
    actors.run(main)
    kinds = [(e.kind, e.other if e.kind == "send" else e.msg)
             for e in events]
    pid = events[0].pid
    assert all(e.pid == pid for e in events)
    assert kinds[0][0] == "receive" and kinds[0][1][1] == 1
    assert kinds[1][0] == "send" and kinds[1][1] != pid
    assert kinds[2] == ("exit", "normal")
    assert len(events) == 3


def test_trace_new_actors_spawns_links_to_an_actor():
    def collector():
        got = []
        while True:
            m = actors.receive()
            if m == "give":
                break
            got.append(m)
        actors.send(m_owner[0], got)

    m_owner = [None]

    def child():
        actors.receive()

    def main():
        m_owner[0] = actors.self()
        c = actors.spawn(collector)
        t = actors.trace(None, to=c, new=True,
                         events=("spawn", "link", "exit"), limit=1000)
        def parent():
            k = actors.spawn(child)
            actors.link(k)
            actors.send(k, "go")
            actors.receive()
        par = actors.spawn(parent)
        actors.sleep(0.05)
        t.stop()
        actors.send(c, "give")
        got = actors.receive(list)
        kinds = [(e.kind, e.pid) for e in got]
        assert ("spawn", par) in kinds
        spawned = [e for e in got if e.kind == "spawn"][0]
        assert spawned.msg is child
        assert ("link", par) in kinds
        assert ("exit", spawned.other) in kinds
        actors.exit(par, "kill")
    actors.run(main)


def test_trace_count_limit_stops_it():
    events = []

    def main():
        p = actors.spawn(parked)
        t = actors.trace([p], to=events.append, events="receive", limit=3)
        def chatter():
            for i in range(10):
                actors.send(p, i)
        # parked takes one; the rest wait: each arrival is an event
        actors.spawn(chatter)
        actors.sleep(0.01)
        assert t.stopped == "count"
        assert len(events) == 3
    actors.run(main)


def test_trace_rate_limit_stops_it():
    events = []

    def main():
        p = actors.spawn(parked)
        t = actors.trace(p, to=events.append, events=("receive",),
                         limit=10 ** 6, rate=(5, 60.0))
        for i in range(100):
            actors.send(p, i)
        assert t.stopped == "rate"
        assert len(events) == 5
        actors.exit(p, "kill")
    actors.run(main)


def test_trace_a_failing_callback_stops_it():
    def bad(ev):
        raise RuntimeError("sink")

    def main():
        p = actors.spawn(parked)
        t = actors.trace(p, to=bad, events="receive")
        actors.send(p, 1)
        assert t.stopped == "error"
    actors.run(main)


def test_trace_replaced_and_off_after():
    events = []

    def main():
        a = actors.spawn(parked)
        b = actors.spawn(parked)
        t1 = actors.trace(a, to=events.append, events="receive")
        t2 = actors.trace(b, to=events.append, events="receive")
        assert t1.stopped == "replaced" and t2.stopped is None
        actors.send(a, 1)
        actors.send(b, 2)
        t2.stop()
        assert [e.pid for e in events] == [b]
    actors.run(main)


def test_trace_bad_arguments():
    def main():
        p = actors.spawn(parked)
        with pytest.raises(TypeError):
            actors.trace(p)
        with pytest.raises(TypeError):
            actors.trace(p, to=42)
        with pytest.raises(ValueError):
            actors.trace(p, to=print, events=("bogus",))
        with pytest.raises(ValueError):
            actors.trace(p, to=print, limit=0)
        with pytest.raises(ValueError):
            actors.trace(p, to=print, rate=(0, 1.0))
        with pytest.raises(ValueError):
            actors.trace(p, to=print, rate=(1, float("nan")))
        with pytest.raises(TypeError):
            actors.trace(p, to=print, rate=5)
        with pytest.raises(ValueError):
            actors.trace(None, to=print)
        with pytest.raises(TypeError):
            actors.trace([3], to=print)
        actors.exit(p, "kill")
    actors.run(main)
