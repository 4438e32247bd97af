"""Supervisors: strategies, restart types, intensity, trees, orderly
shutdown, shutdown timeouts, queries."""
import threading
import time

import pytest

import actors

try:
    from actors import ChildSpec, StartError, Supervisor, SupervisorError
except ImportError:                 # not re-exported (yet)
    from actors._supervisor import (ChildSpec, StartError, Supervisor,
                                    SupervisorError)

pytestmark = pytest.mark.timeout(30)

WAIT = 3.0          # seconds any single expected event may take


# -- helpers -----------------------------------------------------------------

def worker(name, rep, trap=False):
    """Reports ("start", name, pid) and, however it ends, ("stop", name).
    "crash" raises, "stop" returns; with trap it ignores exit signals."""
    if trap:
        actors.trap_exits(True)
    actors.send(rep, ("start", name, actors.self()))
    try:
        while True:
            msg = actors.receive()
            if msg == "crash":
                raise RuntimeError("crash " + name)
            if msg == "stop":
                return
            if isinstance(msg, actors.Request):
                msg.reply(name)
    finally:
        actors.send(rep, ("stop", name))


def spec(name, rep, **kw):
    trap = kw.pop("trap", False)
    return ChildSpec(worker, args=(name, rep), kwargs={"trap": trap},
                     id=name, **kw)


def is_event(m):
    return isinstance(m, tuple) and len(m) >= 2 and m[0] in ("start", "stop")


def events(n, timeout=WAIT):
    """The next n start/stop reports, as (kind, name)."""
    return [actors.receive(is_event, timeout=timeout)[:2] for _ in range(n)]


def no_more_events(wait=0.1):
    m = actors.receive(is_event, timeout=wait, default=None)
    assert m is None, "unexpected report %r" % (m,)


def starts(names):
    return [("start", n) for n in names]


def stops(names):
    return [("stop", n) for n in names]


def pids(sup):
    return {c.id: c.pid for c in Supervisor.which_children(sup)}


def down_of(ref, timeout=WAIT):
    return actors.receive(lambda m: isinstance(m, actors.Down) and
                          m.ref == ref, timeout=timeout)


def run(body):
    """Run body as the main actor; fail if it does not return."""
    return actors.run(body)


# -- strategies --------------------------------------------------------------

def test_starts_children_in_order():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec(n, me) for n in "abc"]))
        assert events(3) == starts("abc")
        kids = Supervisor.which_children(sup)
        assert [k.id for k in kids] == list("abc")
        assert all(k.pid.alive for k in kids)
        assert [k.restart for k in kids] == ["permanent"] * 3
        assert Supervisor.restart_count(sup) == 0
    run(main)


def test_one_for_one_restarts_only_the_failed_child():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec(n, me) for n in "abc"],
                                      strategy="one_for_one"))
        events(3)
        before = pids(sup)
        actors.send(before["b"], "crash")
        assert events(2) == [("stop", "b"), ("start", "b")]
        no_more_events()
        after = pids(sup)
        assert after["a"] == before["a"] and after["c"] == before["c"]
        assert after["b"] != before["b"] and after["b"].alive
        assert Supervisor.restart_count(sup) == 1
    run(main)


def test_one_for_all_stops_others_in_reverse_then_restarts_all_in_order():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec(n, me) for n in "abcd"],
                                      strategy="one_for_all"))
        events(4)
        before = pids(sup)
        actors.send(before["b"], "crash")
        assert events(8) == (stops("bdca") + starts("abcd"))
        no_more_events()
        after = pids(sup)
        assert all(after[n] != before[n] for n in "abcd")
        assert all(not before[n].alive for n in "abcd")
        assert Supervisor.restart_count(sup) == 1
    run(main)


def test_rest_for_one_restarts_the_failed_child_and_the_later_ones():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec(n, me) for n in "abcd"],
                                      strategy="rest_for_one"))
        events(4)
        before = pids(sup)
        actors.send(before["b"], "crash")
        assert events(6) == stops("bdc") + starts("bcd")
        no_more_events()
        after = pids(sup)
        assert after["a"] == before["a"]
        assert all(after[n] != before[n] for n in "bcd")
    run(main)


def test_rest_for_one_last_child_restarts_alone():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec(n, me) for n in "abc"],
                                      strategy="rest_for_one"))
        events(3)
        before = pids(sup)
        actors.send(before["c"], "crash")
        assert events(2) == [("stop", "c"), ("start", "c")]
        no_more_events()
        after = pids(sup)
        assert after["a"] == before["a"] and after["b"] == before["b"]
    run(main)


def test_class_style_actor_children_are_restarted():
    class Counter(actors.Actor):
        def __init__(self, rep):
            self.n = 0
            actors.send(rep, ("start", "counter", None))

        def receive(self, msg):
            if msg == "crash":
                raise RuntimeError("counter crash")
            self.n += 1
            return self.n

    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([ChildSpec(Counter, args=(me,))]))
        assert events(1) == starts(["counter"])
        pid = pids(sup)["Counter"]
        assert actors.ask(pid, "inc") == 1
        assert actors.ask(pid, "inc") == 2
        actors.send(pid, "crash")
        assert events(1) == starts(["counter"])
        new = pids(sup)["Counter"]
        assert new != pid
        assert actors.ask(new, "inc") == 1      # fresh state
    run(main)


# -- restart types -----------------------------------------------------------

def test_permanent_child_is_restarted_even_after_a_normal_exit():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec("p", me, restart="permanent")]))
        events(1)
        actors.send(pids(sup)["p"], "stop")
        assert events(2) == [("stop", "p"), ("start", "p")]
        assert Supervisor.restart_count(sup) == 1
    run(main)


def test_transient_child_is_restarted_only_after_an_abnormal_exit():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec("t", me, restart="transient")]))
        events(1)
        actors.send(pids(sup)["t"], "crash")
        assert events(2) == [("stop", "t"), ("start", "t")]
        actors.exit(pids(sup)["t"], "kill")              # 'killed'
        assert events(2) == [("stop", "t"), ("start", "t")]
        actors.exit(pids(sup)["t"], "shutdown")          # normal-ish
        assert events(1) == [("stop", "t")]
        no_more_events()
        assert Supervisor.which_children(sup) == [("t", None, "transient")]
        assert Supervisor.restart_count(sup) == 2
        Supervisor.restart_child(sup, "t")
        assert events(1) == [("start", "t")]
        actors.send(pids(sup)["t"], "stop")              # 'normal'
        assert events(1) == [("stop", "t")]
        no_more_events()
        assert Supervisor.which_children(sup) == [("t", None, "transient")]
    run(main)


def test_temporary_child_is_never_restarted_and_is_forgotten():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec("a", me),
                                       spec("tmp", me, restart="temporary")]))
        events(2)
        actors.send(pids(sup)["tmp"], "crash")
        assert events(1) == [("stop", "tmp")]
        no_more_events()
        assert [c.id for c in Supervisor.which_children(sup)] == ["a"]
        assert Supervisor.restart_count(sup) == 0
    run(main)


def test_temporary_sibling_stopped_by_one_for_all_is_not_restarted():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor(
            [spec("a", me), spec("tmp", me, restart="temporary"),
             spec("c", me)], strategy="one_for_all"))
        events(3)
        actors.send(pids(sup)["a"], "crash")
        assert events(5) == stops(["a", "c", "tmp"]) + starts("ac")
        no_more_events()
        assert [c.id for c in Supervisor.which_children(sup)] == ["a", "c"]
    run(main)


# -- restart intensity -------------------------------------------------------

def test_too_many_restarts_make_the_supervisor_exit_with_shutdown():
    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(Supervisor(
            [spec("a", me), spec("bad", me), spec("c", me)],
            max_restarts=2, period=5.0))
        events(3)
        for _ in range(2):
            actors.send(pids(sup)["bad"], "crash")
            assert events(2) == [("stop", "bad"), ("start", "bad")]
        assert Supervisor.restart_count(sup) == 2
        actors.send(pids(sup)["bad"], "crash")
        # The third restart is one too many: everything stops, in reverse.
        assert events(3) == stops(["bad", "c", "a"])
        down = down_of(ref)
        assert down.pid == sup and down.reason == "shutdown"
        no_more_events()
    run(main)


def test_max_restarts_zero_gives_up_at_the_first_failure():
    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(Supervisor([spec("a", me)],
                                                   max_restarts=0))
        events(1)
        actors.send(pids(sup)["a"], "crash")
        assert events(1) == [("stop", "a")]
        assert down_of(ref).reason == "shutdown"
    run(main)


def test_restarts_older_than_the_period_do_not_count():
    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(Supervisor([spec("a", me)],
                                                   max_restarts=1,
                                                   period=0.2))
        events(1)
        for _ in range(4):
            actors.send(pids(sup)["a"], "crash")
            assert events(2) == [("stop", "a"), ("start", "a")]
            actors.sleep(0.3)
        assert Supervisor.restart_count(sup) == 4
        assert actors.receive(actors.Down, timeout=0, default=None) is None
    run(main)


def test_a_supervisor_that_gives_up_signals_its_links():
    """The 'shutdown' exit of a supervisor that gave up reaches its links."""
    def main():
        me = actors.self()
        actors.trap_exits(True)
        sup = actors.spawn_link(Supervisor([spec("a", me)], max_restarts=1))
        events(1)
        actors.send(pids(sup)["a"], "crash")
        assert events(2) == [("stop", "a"), ("start", "a")]
        actors.send(pids(sup)["a"], "crash")
        assert events(1) == [("stop", "a")]
        msg = actors.receive(actors.Exit, timeout=WAIT)
        assert msg == actors.Exit(sup, "shutdown")
    run(main)


# -- supervision trees -------------------------------------------------------

def test_nested_grandchild_crash_restarts_only_inside_the_inner_supervisor():
    def main():
        me = actors.self()
        inner = Supervisor([spec("g1", me), spec("g2", me)],
                           strategy="one_for_all", name="inner")
        outer = actors.spawn(Supervisor([spec("w1", me), inner,
                                         spec("w2", me)]))
        assert events(4) == starts(["w1", "g1", "g2", "w2"])
        top = pids(outer)
        assert list(top) == ["w1", "inner", "w2"]
        assert actors.whereis("inner") == top["inner"]
        below = pids("inner")
        actors.send(below["g1"], "crash")
        assert events(4) == stops(["g1", "g2"]) + starts(["g1", "g2"])
        no_more_events()
        assert pids(outer) == top
        assert Supervisor.restart_count(outer) == 0
        assert Supervisor.restart_count("inner") == 1
        assert Supervisor.count_children(outer) == {
            "specs": 3, "active": 3, "supervisors": 1, "workers": 2}
    run(main)


def test_inner_supervisor_giving_up_is_restarted_by_the_outer_one():
    def main():
        me = actors.self()
        inner = Supervisor([spec("g1", me), spec("g2", me)],
                           max_restarts=1, period=5.0, name="inner")
        outer = actors.spawn(Supervisor([spec("w1", me), inner,
                                         spec("w2", me)],
                                        strategy="one_for_one"))
        events(4)
        top = pids(outer)
        actors.send(pids("inner")["g2"], "crash")
        assert events(2) == [("stop", "g2"), ("start", "g2")]
        actors.send(pids("inner")["g2"], "crash")
        # inner gives up (stops g1), the outer starts a fresh inner tree.
        assert events(4) == [("stop", "g2"), ("stop", "g1"),
                             ("start", "g1"), ("start", "g2")]
        no_more_events()
        new_top = pids(outer)
        assert new_top["w1"] == top["w1"] and new_top["w2"] == top["w2"]
        assert new_top["inner"] != top["inner"] and new_top["inner"].alive
        assert actors.whereis("inner") == new_top["inner"]
        assert Supervisor.restart_count(outer) == 1
        assert Supervisor.restart_count("inner") == 0    # a fresh run
    run(main)


def test_three_level_tree_shuts_down_depth_first_in_reverse_order():
    def main():
        me = actors.self()
        leaf = Supervisor([spec("x", me), spec("y", me)], name="leaf")
        mid = Supervisor([spec("m", me), leaf], name="mid")
        top, ref = actors.spawn_monitor(
            Supervisor([spec("a", me), mid, spec("b", me)]))
        assert events(5) == starts(["a", "m", "x", "y", "b"])
        actors.exit(top, "shutdown")
        assert events(5) == stops(["b", "y", "x", "m", "a"])
        assert down_of(ref).reason == "shutdown"
        assert actors.whereis("mid") is None
        assert actors.whereis("leaf") is None
    run(main)


# -- orderly shutdown --------------------------------------------------------

def test_exit_from_parent_stops_children_in_reverse_start_order():
    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(
            Supervisor([spec(n, me) for n in "abcd"]))
        events(4)
        kids = pids(sup)
        actors.exit(sup, "shutdown")
        assert events(4) == stops("dcba")
        down = down_of(ref)
        assert down.reason == "shutdown"
        assert not any(p.alive for p in kids.values())
    run(main)


def test_linked_parent_crash_propagates_its_reason():
    class Boom(Exception):
        pass

    def parent(me):
        me.send(("sup", actors.spawn_link(Supervisor([spec(n, me)
                                                      for n in "ab"]))))
        actors.receive()                 # until told to crash
        raise Boom("parent died")

    def main():
        me = actors.self()
        par = actors.spawn(parent, me)
        _, sup = actors.receive(lambda m: m[0] == "sup", timeout=WAIT)
        ref = actors.monitor(sup)
        events(2)
        actors.send(par, "go")
        assert events(2) == stops("ba")
        reason = down_of(ref).reason
        assert isinstance(reason, Boom)
        no_more_events()
    run(main)


def test_reason_of_parent_exit_is_kept():
    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(Supervisor([spec("a", me)]))
        events(1)
        actors.exit(sup, "custom")
        assert events(1) == [("stop", "a")]
        assert down_of(ref).reason == "custom"
    run(main)


def test_normal_exit_signal_from_a_non_child_link_is_ignored():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec("a", me)]))
        events(1)

        def friend():
            actors.link(sup)             # ends normally: Exit(friend, normal)
        actors.spawn(friend)
        actors.sleep(0.05)
        assert sup.alive
        assert Supervisor.which_children(sup)[0].pid.alive
        no_more_events()
    run(main)


def test_child_ignoring_shutdown_is_killed_after_its_timeout():
    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(Supervisor([
            spec("a", me),
            spec("stubborn", me, trap=True, shutdown=0.3),
            spec("c", me)]))
        events(3)
        stubborn = pids(sup)["stubborn"]
        sref = actors.monitor(stubborn)
        t0 = time.monotonic()
        actors.exit(sup, "shutdown")
        assert events(1) == [("stop", "c")]
        assert events(1) == [("stop", "stubborn")]
        waited = time.monotonic() - t0
        assert down_of(sref).reason == "killed"
        assert events(1) == [("stop", "a")]
        assert down_of(ref).reason == "shutdown"
        assert 0.25 <= waited < 2.0
    run(main)


def test_brutal_kill_does_not_wait():
    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(Supervisor([
            spec("stubborn", me, trap=True, shutdown="brutal_kill")]))
        events(1)
        sref = actors.monitor(pids(sup)["stubborn"])
        t0 = time.monotonic()
        actors.exit(sup, "shutdown")
        assert events(1) == [("stop", "stubborn")]
        assert down_of(sref).reason == "killed"
        assert down_of(ref).reason == "shutdown"
        assert time.monotonic() - t0 < 0.25
    run(main)


def test_child_that_traps_but_ends_on_shutdown_is_not_killed():
    def polite(rep):
        actors.trap_exits(True)
        actors.send(rep, ("start", "polite", actors.self()))
        try:
            msg = actors.receive(actors.Exit)
            return msg.reason
        finally:
            actors.send(rep, ("stop", "polite"))

    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(Supervisor(
            [ChildSpec(polite, args=(me,), shutdown=5.0)]))
        events(1)
        cref = actors.monitor(pids(sup)["polite"])
        t0 = time.monotonic()
        actors.exit(sup, "shutdown")
        assert down_of(cref).reason == "normal"
        assert down_of(ref).reason == "shutdown"
        assert time.monotonic() - t0 < 1.0
    run(main)


def test_one_for_all_restart_kills_a_sibling_that_ignores_shutdown():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([
            spec("a", me), spec("stubborn", me, trap=True, shutdown=0.2)],
            strategy="one_for_all"))
        events(2)
        actors.send(pids(sup)["a"], "crash")
        assert events(4) == stops(["a", "stubborn"]) + starts(["a", "stubborn"])
    run(main)


# -- queries and dynamic children -----------------------------------------------

def test_terminate_restart_delete_and_start_child():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec(n, me) for n in "ab"]))
        events(2)
        assert Supervisor.terminate_child(sup, "a") is None
        assert events(1) == [("stop", "a")]
        no_more_events()                      # not restarted
        assert pids(sup)["a"] is None
        assert Supervisor.count_children(sup)["active"] == 1
        with pytest.raises(SupervisorError):
            Supervisor.restart_child(sup, "b")      # running
        new = Supervisor.restart_child(sup, "a")
        assert events(1) == [("start", "a")]
        assert pids(sup)["a"] == new
        with pytest.raises(SupervisorError):
            Supervisor.delete_child(sup, "a")       # running
        Supervisor.terminate_child(sup, "a")
        events(1)
        Supervisor.delete_child(sup, "a")
        assert list(pids(sup)) == ["b"]
        with pytest.raises(SupervisorError):
            Supervisor.terminate_child(sup, "nope")
        c = Supervisor.start_child(sup, spec("c", me))
        assert events(1) == [("start", "c")]
        assert pids(sup) == {"b": pids(sup)["b"], "c": c}
        with pytest.raises(SupervisorError):
            Supervisor.start_child(sup, spec("c", me))
        # A dynamically added child is supervised like the others.
        actors.send(c, "crash")
        assert events(2) == [("stop", "c"), ("start", "c")]
        assert Supervisor.restart_count(sup) == 1
    run(main)


def test_terminate_child_is_not_a_restart_and_leaves_siblings_alone():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec(n, me) for n in "abc"],
                                      strategy="one_for_all"))
        events(3)
        Supervisor.terminate_child(sup, "b")
        assert events(1) == [("stop", "b")]
        no_more_events()
        assert Supervisor.restart_count(sup) == 0
    run(main)


def test_unknown_requests_are_answered_with_an_error():
    def main():
        sup = actors.spawn(Supervisor([]))
        assert Supervisor.which_children(sup) == []
        status, err = actors.ask(sup, "hello?")
        assert status == "error" and isinstance(err, SupervisorError)
    run(main)


def test_queries_from_another_thread_through_a_system():
    box = []

    def reporter():
        while True:
            box.append(actors.receive())

    with actors.System() as system:
        rep = system.spawn(reporter)
        sup = system.spawn(Supervisor([spec(n, rep) for n in "ab"]))
        deadline = time.monotonic() + WAIT
        while len(box) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        kids = Supervisor.which_children(sup)
        assert [k.id for k in kids] == ["a", "b"]
        assert threading.current_thread() is threading.main_thread()


# -- starting ----------------------------------------------------------------

def test_a_child_that_cannot_start_fails_the_supervisor_start():
    class Broken(actors.Actor):
        def __init__(self):
            raise ValueError("no init for you")

    def main():
        me = actors.self()
        sup, ref = actors.spawn_monitor(Supervisor([spec("a", me), Broken,
                                                    spec("c", me)]))
        reason = down_of(ref).reason
        assert isinstance(reason, StartError)
        assert reason.id == "Broken"
        assert isinstance(reason.reason, ValueError)
        # "a" was stopped; it may have been stopped before it ever ran.
        assert not [m for m in (actors.receive(is_event, timeout=0.1,
                                               default=None),) if m and
                    m[0] == "start" and m[2].alive]
    run(main)


def test_the_same_supervisor_object_can_run_again():
    def main():
        me = actors.self()
        desc = Supervisor([spec("a", me)], max_restarts=0)
        for _ in range(2):
            sup, ref = actors.spawn_monitor(desc)
            events(1)
            assert Supervisor.restart_count(sup) == 0
            actors.send(pids(sup)["a"], "crash")
            events(1)
            assert down_of(ref).reason == "shutdown"
    run(main)


def test_transient_child_that_finishes_its_work_stays_stopped():
    def main_child(rep):
        actors.send(rep, "hi")

    def main():
        rep = actors.self()
        sup = actors.spawn(Supervisor(
            [ChildSpec(main_child, args=(rep,), restart="transient")]))
        assert actors.receive(timeout=WAIT) == "hi"
        assert Supervisor.which_children(sup)[0].pid is None
    run(main)


def test_bad_specs_are_refused():
    with pytest.raises(ValueError):
        Supervisor([], strategy="all_for_one")
    with pytest.raises(ValueError):
        ChildSpec(worker, restart="sometimes")
    with pytest.raises(ValueError):
        ChildSpec(worker, shutdown="never")
    with pytest.raises(ValueError):
        ChildSpec(worker, shutdown=-1)
    with pytest.raises(TypeError):
        ChildSpec(42)
    with pytest.raises(ValueError, match="duplicate"):
        Supervisor([ChildSpec(worker), ChildSpec(worker)])
    with pytest.raises(ValueError):
        Supervisor([], max_restarts=-1)
    with pytest.raises(ValueError):
        Supervisor([], period=0)


def test_child_spec_defaults():
    s = ChildSpec(worker)
    assert (s.id, s.restart, s.shutdown, s.args, s.kwargs) == \
        ("worker", "permanent", 5.0, (), {})
    inner = Supervisor([], name="inner")
    assert ChildSpec(inner).id == "inner"
    assert ChildSpec(inner).shutdown == "infinity"
    assert ChildSpec(Supervisor([])).id == "supervisor"


def test_start_link_returns_once_the_whole_tree_runs():
    def main():
        me = actors.self()
        desc = Supervisor([spec("a", me),
                           Supervisor([spec("x", me)], name="inner"),
                           spec("b", me)])
        sup = desc.start_link()
        # No waiting: the tree is there, depth first.
        kids = Supervisor.which_children(sup)
        assert [k.id for k in kids] == ["a", "inner", "b"]
        assert all(k.pid.alive for k in kids)
        assert [k.id for k in Supervisor.which_children("inner")] == ["x"]
        assert events(3) == starts(["a", "x", "b"])
    run(main)


def test_start_link_of_a_tree_that_cannot_start_raises():
    class Broken(actors.Actor):
        def __init__(self):
            raise ValueError("no init for you")

    def main():
        me = actors.self()
        actors.trap_exits(True)
        desc = Supervisor([spec("a", me), Supervisor([Broken], name="in")],
                          name="out")
        with pytest.raises(StartError) as info:
            desc.start_link()
        outer = info.value
        assert outer.id == "out"
        assert isinstance(outer.reason, StartError)
        assert outer.reason.id == "in"
        assert isinstance(outer.reason.reason, StartError)
        assert outer.reason.reason.id == "Broken"
        assert isinstance(outer.reason.reason.reason, ValueError)
        assert actors.whereis("out") is None
        assert actors.whereis("in") is None
    run(main)


def test_a_supervisor_survives_a_query_storm_during_restarts():
    def main():
        me = actors.self()
        sup = actors.spawn(Supervisor([spec(n, me) for n in "abc"],
                                      strategy="one_for_all",
                                      max_restarts=100))
        events(3)
        for i in range(20):
            actors.send(pids(sup)["abc"[i % 3]], "crash")
            assert len(Supervisor.which_children(sup)) == 3
        deadline = time.monotonic() + WAIT
        while Supervisor.restart_count(sup) < 20:
            assert time.monotonic() < deadline
            actors.sleep(0.01)
        assert all(k.pid.alive for k in Supervisor.which_children(sup))
    run(main)


def test_exit_signal_from_outside_any_actor_stops_the_supervisor():
    box = []

    def reporter():
        while True:
            box.append(actors.receive()[:2])

    def done():
        pass

    with actors.System() as system:
        rep = system.spawn(reporter)
        sup = system.spawn(Supervisor([
            ChildSpec(done, restart="transient"), spec("a", rep)]))
        deadline = time.monotonic() + WAIT
        while Supervisor.which_children(sup)[0].pid is not None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        actors.exit(sup, "shutdown")        # sender: no actor at all
        while sup.alive or ("stop", "a") not in box:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert box == [("start", "a"), ("stop", "a")]
