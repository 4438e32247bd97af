"""Introspection (actors._observe, introspect.pxi): processes(), info(),
stack(), dump(), dump_on_signal(); ask cycles; the blocking watchdog."""
import io
import os
import signal
import socket
import threading
import time

import pytest

import actors
from _subproc import describe, run_in_subprocess


def parked():
    actors.receive()


def take_one():
    actors.receive()
    actors.receive(str)                   # waits: tuples are sent


def sleeper():
    actors.sleep(1000)


class Idle(actors.Actor):
    def receive(self, msg):
        return msg


def fd_waiter(sock):
    actors.wait_readable(sock)


def deep(n):
    if n:
        return deep(n - 1)
    actors.receive()


def test_processes_lists_live_actors_only():
    def main():
        pids = [actors.spawn(parked) for _ in range(10)]
        actors.sleep(0)
        live = set(actors.processes())
        assert set(pids) <= live and actors.self() in live
        actors.exit(pids[0], "kill")
        actors.sleep(0)
        assert pids[0] not in actors.processes()
        for p in pids[1:]:
            actors.exit(p, "kill")
    actors.run(main)
    assert actors.processes() == []


def test_info_statuses():
    a, b = socket.socketpair()

    def main():
        w = actors.spawn(parked)
        s = actors.spawn(sleeper)
        c = actors.spawn(Idle)
        f = actors.spawn(fd_waiter, a)
        r = actors.spawn(parked)          # runnable: not run yet
        assert actors.info(r).status == "runnable"
        assert actors.info(r).initial.endswith("parked")
        actors.sleep(0.01)
        assert actors.info(actors.self()).status == "running"
        assert actors.info(w).status == "waiting in receive"
        assert actors.info(s).status == "sleeping"
        assert actors.info(c).status == "waiting in receive"
        assert actors.info(f).status == "waiting on fd"
        for p in (w, s, c, f, r):
            actors.exit(p, "kill")
    actors.run(main)
    a.close()
    b.close()


def test_info_fields():
    def main():
        me = actors.self()
        w = actors.spawn(take_one)
        actors.register("the-worker", w)
        actors.join("grp", w)
        actors.link(w)
        ref = actors.monitor(w)
        actors.trap_exits(True)
        for i in range(3):
            actors.send(w, ("msg", i))
        c = actors.spawn(Idle)
        actors.sleep(0.05)
        i = actors.info("the-worker")
        assert i.pid == w and i.name == "the-worker"
        assert i.names == ["the-worker"] and i.groups == ["grp"]
        assert i.initial.endswith("take_one")
        assert i.function == "take_one" and i.file == __file__
        assert i.line == take_one.__code__.co_firstlineno + 2
        # it took one message and waits again: two left
        assert i.mailbox == 2
        assert i.reductions >= 2
        assert i.memory == sum(i.memory_detail.values()) > 0
        assert i.memory_detail["mailbox"] > 0
        assert i.links == [me] and i.monitored_by == [me]
        assert i.trap_exits is False and i.age >= 0.04
        mine = actors.info(me)
        assert mine.trap_exits is True and mine.monitors == [w]
        assert mine.function.endswith("main")
        ci = actors.info(c)
        assert ci.initial.endswith("Idle") and ci.function is None
        actors.demonitor(ref)
        actors.unlink(w)
        actors.exit(w, "kill")
        actors.exit(c, "kill")
        actors.sleep(0)
        assert actors.info(w) is None
        assert actors.info("nobody-has-this-name") is None
        with pytest.raises(TypeError):
            actors.info(42)
        with pytest.raises(TypeError):
            actors.stack(object())
    actors.run(main)


def test_info_reductions_count_work():
    def busy():
        for i in range(5000):
            actors.send(actors.self(), i)
            actors.receive()
        actors.receive()

    def main():
        p = actors.spawn(busy)
        actors.sleep(0.2)
        assert actors.info(p).reductions >= 10000
        actors.exit(p, "kill")
    actors.run(main)


def test_info_supervisor():
    def main():
        sup = actors.spawn_link(actors.Supervisor(
            [actors.ChildSpec(parked, id="w")]))
        actors.sleep(0.05)
        child = actors.Supervisor.which_children(sup)[0].pid
        assert actors.info(child).supervisor == sup
        assert actors.info(sup).supervisor is None
        actors.unlink(sup)
        actors.exit(sup, "shutdown")
    actors.run(main)


def test_stack_of_suspended_and_self():
    def main():
        p = actors.spawn(deep, 5)
        actors.sleep(0.01)
        st = actors.stack(p)
        names = [f.name for f in st]
        assert names == ["deep"] * 6
        assert st[-1].line == "actors.receive()"
        mine = actors.stack(actors.self())
        assert [f.name for f in mine] == ["main"]
        r = actors.spawn(parked)
        assert list(actors.stack(r)) == []       # not started
        c = actors.spawn(Idle)
        actors.sleep(0)
        assert list(actors.stack(c)) == []       # between messages
        actors.exit(p, "kill")
        actors.exit(r, "kill")
        actors.exit(c, "kill")
        actors.sleep(0)
        assert actors.stack(p) is None
    actors.run(main)


def test_stack_of_actor_in_another_thread():
    done = threading.Event()
    box = []

    def spin_until_done():
        while not done.is_set():
            time.sleep(0.001)

    with actors.System() as system:
        p = system.spawn(deep, 3)
        q = system.spawn(spin_until_done)
        time.sleep(0.1)
        box.append(actors.stack(p))
        box.append(actors.info(q))
        box.append(actors.stack(q))
        done.set()
        actors.send(p, "go")
    assert [f.name for f in box[0]] == ["deep"] * 4
    assert box[1].status == "running"
    assert box[2][0].name == "spin_until_done"


def test_stack_never_reads_an_overwritten_slice():
    # Many actors parked at different depths while others run over the
    # same C stack; their stacks are read again and again between runs.
    r = run_in_subprocess("""
        import actors
        def deep(n):
            if n:
                return deep(n - 1)
            while True:
                actors.receive()
        def main():
            pids = [actors.spawn(deep, i % 40) for i in range(400)]
            for rnd in range(30):
                actors.sleep(0)
                for i, p in enumerate(pids):
                    st = actors.stack(p)
                    assert len(st) == i % 40 + 1, (i, len(st))
                    assert all(f.name == "deep" for f in st)
                for p in pids[rnd::7]:
                    actors.send(p, rnd)
            actors.dump(open("/dev/null", "w"))
            for p in pids:
                actors.exit(p, "kill")
            print("ok")
        actors.run(main)
    """, timeout=120)
    assert r.returncode == 0 and "ok" in r.stdout, describe(r)


def test_dump_groups_identical_stacks():
    def main():
        pids = [actors.spawn(parked) for _ in range(1000)]
        others = [actors.spawn(sleeper) for _ in range(3)]
        actors.sleep(0.01)
        out = io.StringIO()
        n = actors.dump(out)
        text = out.getvalue()
        assert n == 3                     # parked, sleeper, main
        assert "1004 actors in 3 groups" in text.splitlines()[0]
        assert "1000 x waiting in receive" in text
        assert "3 x sleeping" in text
        assert "1 x running" in text
        assert text.count("actors.receive()") == 1
        for p in pids + others:
            actors.exit(p, "kill")
    actors.run(main)


def test_dump_on_signal():
    r = run_in_subprocess("""
        import os, signal, sys, actors
        def parked():
            actors.receive()
        def main():
            actors.dump_on_signal(signal.SIGUSR1, sys.stdout)
            pids = [actors.spawn(parked) for _ in range(50)]
            actors.sleep(0.01)
            os.kill(os.getpid(), signal.SIGUSR1)
            actors.sleep(0.01)
            for p in pids:
                actors.exit(p, "kill")
        actors.run(main)
    """)
    assert r.returncode == 0, describe(r)
    assert "50 x waiting in receive" in r.stdout, describe(r)


class Bouncer(actors.Actor):
    def __init__(self, partner):
        self.partner = partner            # [Pid], filled in later

    def receive(self, msg):
        return actors.ask(self.partner[0], msg, timeout=30)


def test_ask_cycle_fails_at_once_with_the_chain():
    def main():
        pa, pb = [None], [None]
        a = actors.spawn(Bouncer, pa)
        b = actors.spawn(Bouncer, pb)
        pa[0], pb[0] = b, a
        t = time.monotonic()
        # main asks a; a asks b; b asks a: a cycle a -> b -> a, found by b
        # (its error is the answer to a's ask, which raises it to main)
        with pytest.raises(actors.AskCycleError) as ei:
            actors.ask(a, "go", timeout=30)
        assert time.monotonic() - t < 5
        assert ei.value.chain == [b, a, b]
        assert "ask cycle" in str(ei.value)
        assert isinstance(ei.value, actors.ActorError)
        actors.exit(a, "kill")
        actors.exit(b, "kill")
    actors.run(main)


def test_ask_cycle_of_three_and_no_false_alarm():
    def relay(nxt_box):
        while True:
            req = actors.receive(actors.Request)
            try:
                req.reply(actors.ask(nxt_box[0], "x", timeout=30))
            except actors.AskCycleError as e:
                req.reply(("cycle", e.chain))

    def answer():
        while True:
            actors.receive(actors.Request).reply("fine")

    def main():
        boxes = [[None], [None], [None]]
        a, b, c = (actors.spawn(relay, bx) for bx in boxes)
        boxes[0][0], boxes[1][0], boxes[2][0] = b, c, a
        assert actors.ask(a, "go", timeout=30) == ("cycle", [c, a, b, c])
        # a chain that ends somewhere is no cycle
        d = actors.spawn(answer)
        boxes[2][0] = d
        assert actors.ask(a, "go", timeout=30) == "fine"
        for p in (a, b, c, d):
            actors.exit(p, "kill")
    actors.run(main)


def test_watchdog_reports_a_cpu_bound_actor():
    reports = []

    def spin():
        t = time.monotonic()
        while time.monotonic() - t < 1.0:
            pass

    def polite():
        for _ in range(200):
            actors.sleep(0.005)

    def main():
        with actors.watchdog(0.3, lambda *a: reports.append(a)) as w:
            p = actors.spawn(polite)
            actors.sleep(1.2)
            assert w.reports == 0          # yielding actors are fine
            s = actors.spawn(spin)
            actors.sleep(1.5)
        assert reports and reports[0][0] == s
        assert reports[0][1] >= 0.3
        assert [f.name for f in reports[0][2]][-1] == "spin"
        assert len(reports) == 1           # once per stall
        actors.exit(p, "kill")
    actors.run(main)


def test_watchdog_logs(caplog):
    def spin():
        t = time.monotonic()
        while time.monotonic() - t < 0.6:
            pass

    def main():
        with actors.watchdog(0.2):
            actors.spawn(spin)
            actors.sleep(0.8)
    with caplog.at_level("WARNING", logger="actors.watchdog"):
        actors.run(main)
    assert any("held its scheduler" in r.getMessage() and "spin" in
               r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_watchdog_bad_threshold(bad):
    with pytest.raises(ValueError):
        actors.watchdog(bad)
    with pytest.raises(TypeError):
        actors.watchdog("1")


def test_age_counts_from_the_spawn():
    def main():
        actors.sleep(0.3)
        p = actors.spawn(parked)
        actors.sleep(0.05)
        age = actors.info(p).age
        assert 0.0 < age < 0.25, age
        assert actors.info(actors.self()).age >= 0.3
        actors.exit(p, "kill")
    actors.run(main)
