"""Links, exit signals, trap_exits, monitors, Down, logging of crashes."""
import logging
import time

import pytest

import actors


class Crash(Exception):
    pass


def crasher(delay=0.01, exc=None):
    actors.sleep(delay)
    raise exc if exc is not None else Crash("crash")


def waiter():
    actors.receive(lambda m: m == "never")


def watch(pid):
    """Monitor pid and return its Down reason (within 5 s)."""
    ref = actors.monitor(pid)
    down = actors.receive(lambda m: isinstance(m, actors.Down)
                          and m.ref == ref, timeout=5)
    assert down.pid == pid
    return down.reason


def test_link_propagates_crash_to_non_trapping_actor():
    def middle(parent):
        actors.spawn_link(crasher)
        actors.send(parent, "linked")
        actors.receive()              # killed by the exit signal

    def main():
        pid = actors.spawn(middle, actors.self())
        actors.receive(lambda m: m == "linked", timeout=5)
        return watch(pid)
    reason = actors.run(main)
    assert isinstance(reason, Crash)


def test_link_propagates_through_a_chain():
    def node(parent, depth):
        if depth == 0:
            actors.send(parent, ("leaf", actors.self()))
            actors.receive()
        else:
            actors.spawn_link(node, parent, depth - 1)
            actors.send(parent, ("node", actors.self()))
            actors.receive()

    def main():
        me = actors.self()
        top = actors.spawn(node, me, 10)
        pids = [actors.receive(timeout=5)[1] for _ in range(11)]
        refs = {actors.monitor(p): p for p in pids}
        actors.exit(pids[-1] if False else top, "bang")
        reasons = [actors.receive(actors.Down, timeout=5).reason
                   for _ in range(11)]
        return reasons, [p.alive for p in pids]
    reasons, alive = actors.run(main)
    assert reasons == ["bang"] * 11
    assert not any(alive)


def test_trapping_actor_gets_exit_message():
    def main():
        actors.trap_exits(True)
        pid = actors.spawn_link(crasher)
        msg = actors.receive(actors.Exit, timeout=5)
        return msg, pid
    msg, pid = actors.run(main)
    assert msg.pid == pid
    assert isinstance(msg.reason, Crash)


def test_trapping_actor_gets_exit_normal_from_linked_normal_exit():
    def main():
        actors.trap_exits(True)
        pid = actors.spawn_link(lambda: None)
        return actors.receive(actors.Exit, timeout=5), pid
    msg, pid = actors.run(main)
    assert msg == actors.Exit(pid, "normal")


def test_normal_exit_does_not_kill_linked_actor():
    def main():
        pid = actors.spawn_link(lambda: None)
        actors.sleep(0.05)
        return "survived", pid.alive
    assert actors.run(main) == ("survived", False)


def test_trap_exits_returns_previous_setting():
    def main():
        a = actors.trap_exits(True)
        b = actors.trap_exits(True)
        c = actors.trap_exits(False)
        d = actors.trap_exits()
        return a, b, c, d
    assert actors.run(main) == (False, True, True, False)


def test_trap_then_untrap_dies_again():
    def victim(parent):
        actors.trap_exits(True)
        actors.send(parent, "ready")
        actors.receive(actors.Exit)
        actors.trap_exits(False)
        actors.send(parent, "untrapped")
        actors.receive()

    def main():
        pid = actors.spawn(victim, actors.self())
        ref = actors.monitor(pid)
        actors.receive(lambda m: m == "ready", timeout=5)
        actors.exit(pid, "first")
        actors.receive(lambda m: m == "untrapped", timeout=5)
        actors.exit(pid, "second")
        return actors.receive(actors.Down, timeout=5).reason
    assert actors.run(main) == "second"


def test_kill_is_untrappable_and_becomes_killed():
    def trapper(parent):
        actors.trap_exits(True)
        actors.send(parent, "ready")
        while True:
            actors.receive()

    def main():
        pid = actors.spawn(trapper, actors.self())
        actors.receive(lambda m: m == "ready", timeout=5)
        ref = actors.monitor(pid)
        actors.exit(pid, "kill")
        return actors.receive(actors.Down, timeout=5)
    down = actors.run(main)
    assert down.reason == "killed"


def test_killed_propagates_as_killed_not_kill():
    # Erlang: a linked actor of one killed receives 'killed', which is
    # trappable.
    def main():
        actors.trap_exits(True)
        pid = actors.spawn_link(waiter)
        actors.exit(pid, "kill")
        return actors.receive(actors.Exit, timeout=5), pid
    msg, pid = actors.run(main)
    assert msg == actors.Exit(pid, "killed")


def test_exit_normal_ignored_by_non_trapping():
    def main():
        pid = actors.spawn(waiter)
        actors.sleep(0)
        actors.exit(pid, "normal")
        actors.sleep(0.02)
        alive = pid.alive
        actors.exit(pid, "kill")
        return alive
    assert actors.run(main) is True


def test_exit_normal_delivered_to_trapping():
    def trapper(parent):
        actors.trap_exits(True)
        actors.send(parent, "ready")
        actors.send(parent, actors.receive(actors.Exit, timeout=5))

    def main():
        pid = actors.spawn(trapper, actors.self())
        actors.receive(lambda m: m == "ready", timeout=5)
        actors.exit(pid, "normal")
        return actors.receive(actors.Exit, timeout=5)
    msg = actors.run(main)
    assert msg.reason == "normal"


def test_exit_self_normal_ends_self():
    def victim():
        actors.exit(actors.self(), "normal")
        actors.receive(timeout=5)       # not reached

    def main():
        pid = actors.spawn(victim)
        return watch(pid)
    assert actors.run(main) == "normal"


def test_exit_self_with_reason_ends_self():
    def victim(reason):
        actors.exit(actors.self(), reason)
        actors.receive(timeout=5)       # not reached

    def main():
        return [watch(actors.spawn(victim, r))
                for r in ("boom", "shutdown")]
    assert actors.run(main) == ["boom", "shutdown"]


def test_exit_self_kill_is_killed():
    def victim():
        actors.trap_exits(True)
        actors.exit(actors.self(), "kill")
        actors.receive(timeout=5)       # not reached

    def main():
        return watch(actors.spawn(victim))
    assert actors.run(main) == "killed"


def test_exit_by_registered_name():
    def main():
        pid = actors.spawn(waiter)
        actors.register("exit-target", pid)
        ref = actors.monitor("exit-target")
        actors.exit("exit-target", "bye")
        return actors.receive(actors.Down, timeout=5).reason
    assert actors.run(main) == "bye"


def test_exit_custom_reason_kills_non_trapping():
    def main():
        pid = actors.spawn(waiter)
        ref = actors.monitor(pid)
        actors.exit(pid, ("custom", 1))
        return actors.receive(actors.Down, timeout=5)
    assert actors.run(main).reason == ("custom", 1)


def test_link_to_dead_gives_noproc():
    def linker(parent, dead):
        actors.link(dead)
        actors.send(parent, "not reached")

    def trapping_linker(parent, dead):
        actors.trap_exits(True)
        actors.link(dead)
        actors.send(parent, actors.receive(actors.Exit, timeout=5))

    def main():
        dead = actors.spawn(lambda: None)
        actors.sleep(0.01)
        a = actors.spawn(linker, actors.self(), dead)
        reason = watch(a)
        b = actors.spawn(trapping_linker, actors.self(), dead)
        msg = actors.receive(actors.Exit, timeout=5)
        return reason, msg, dead, actors.receive(timeout=0.02, default=None)
    reason, msg, dead, extra = actors.run(main)
    assert reason == "noproc"
    assert msg == actors.Exit(dead, "noproc")
    assert extra is None


def test_link_is_bidirectional():
    def child(parent):
        actors.send(parent, "up")
        actors.receive()

    def main():
        actors.trap_exits(True)
        pid = actors.spawn(child, actors.self())
        actors.receive(lambda m: m == "up", timeout=5)
        actors.link(pid)
        actors.exit(pid, "die")
        return actors.receive(actors.Exit, timeout=5), pid
    msg, pid = actors.run(main)
    assert msg == actors.Exit(pid, "die")


def test_link_from_other_side_kills_linker():
    def child(parent):
        actors.link(parent)
        actors.send(parent, "linked")
        actors.receive()

    def main(box):
        actors.trap_exits(True)
        me = actors.self()
        pid = actors.spawn(child, me)
        actors.receive(lambda m: m == "linked", timeout=5)
        box.append(pid)
        ref = actors.monitor(pid)
        actors.trap_exits(False)
        # a trapping outsider checks that our death propagates to pid
        raise Crash("main dies")
    box = []

    def outer():
        actors.trap_exits(True)
        m = actors.spawn(main, box)
        ref = actors.monitor(m)
        actors.receive(actors.Down, timeout=5)
        pid = box[0]
        actors.sleep(0.02)
        return pid.alive
    assert actors.run(outer) is False


def test_unlink_stops_propagation():
    def main():
        pid = actors.spawn_link(crasher, 0.02)
        actors.unlink(pid)
        reason = watch(pid)
        actors.sleep(0.02)
        return reason
    assert isinstance(actors.run(main), Crash)


def test_unlink_not_linked_is_harmless():
    def main():
        pid = actors.spawn(waiter)
        actors.unlink(pid)
        actors.exit(pid, "kill")
        return "ok"
    assert actors.run(main) == "ok"


def test_link_self_is_noop():
    def main():
        actors.link(actors.self())
        actors.unlink(actors.self())
        return "ok"
    assert actors.run(main) == "ok"


def test_monitor_down_reasons():
    def main():
        res = {}
        res["normal"] = watch(actors.spawn(lambda: "done"))
        res["exc"] = watch(actors.spawn(crasher, 0))
        p = actors.spawn(waiter)
        ref = actors.monitor(p)
        actors.exit(p, "kill")
        res["killed"] = actors.receive(actors.Down, timeout=5).reason
        p = actors.spawn(waiter)
        ref = actors.monitor(p)
        actors.exit(p, "shutdown")
        res["shutdown"] = actors.receive(actors.Down, timeout=5).reason
        return res
    res = actors.run(main)
    assert res["normal"] == "normal"
    assert isinstance(res["exc"], Crash) and str(res["exc"]) == "crash"
    assert res["killed"] == "killed"
    assert res["shutdown"] == "shutdown"


def test_monitor_exception_instance_is_the_raised_one():
    err = Crash("the very one")

    def main():
        return watch(actors.spawn(crasher, 0, err))
    assert actors.run(main) is err


def test_monitor_dead_gives_noproc():
    def main():
        dead = actors.spawn(lambda: None)
        actors.sleep(0.01)
        ref = actors.monitor(dead)
        down = actors.receive(actors.Down, timeout=1)
        return down, ref, dead
    down, ref, dead = actors.run(main)
    assert down == actors.Down(ref, dead, "noproc")


def test_monitor_does_not_kill_watcher():
    def main():
        pid = actors.spawn(crasher, 0)
        reason = watch(pid)
        return "alive", reason
    r = actors.run(main)
    assert r[0] == "alive"


def test_two_monitors_two_downs():
    def main():
        pid = actors.spawn(crasher, 0.01)
        r1 = actors.monitor(pid)
        r2 = actors.monitor(pid)
        assert r1 != r2
        d = [actors.receive(actors.Down, timeout=5) for _ in range(2)]
        return {x.ref for x in d} == {r1, r2}
    assert actors.run(main) is True


def test_demonitor_prevents_down():
    def main():
        pid = actors.spawn(crasher, 0.01)
        ref = actors.monitor(pid)
        found = actors.demonitor(ref)
        actors.sleep(0.05)
        return found, actors.receive(timeout=0, default="no Down")
    assert actors.run(main) == (True, "no Down")


def test_demonitor_flush_drops_delivered_down():
    def main():
        pid = actors.spawn(lambda: None)
        ref = actors.monitor(pid)
        other = actors.spawn(lambda: None)
        ref2 = actors.monitor(other)
        actors.sleep(0.02)          # both Downs are in the mailbox now
        actors.demonitor(ref, flush=True)
        rest = []
        while True:
            m = actors.receive(timeout=0, default=None)
            if m is None:
                break
            rest.append(m)
        return rest, ref2
    rest, ref2 = actors.run(main)
    assert len(rest) == 1 and rest[0].ref == ref2


def test_demonitor_without_flush_keeps_delivered_down():
    def main():
        pid = actors.spawn(lambda: None)
        ref = actors.monitor(pid)
        actors.sleep(0.02)
        actors.demonitor(ref, flush=False)
        return actors.receive(timeout=0, default=None), ref
    down, ref = actors.run(main)
    assert isinstance(down, actors.Down) and down.ref == ref


def test_demonitor_flush_drops_noproc_down():
    # monitor() of a dead actor delivers Down(..., 'noproc') at once;
    # demonitor(ref, flush=True) must drop it like any other Down.
    def main():
        dead = actors.spawn(lambda: None)
        actors.sleep(0.01)
        ref = actors.monitor(dead)
        actors.demonitor(ref, flush=True)
        return actors.receive(timeout=0, default="flushed")
    assert actors.run(main) == "flushed"


def test_demonitor_unknown_ref_returns_false():
    def main():
        pid = actors.spawn(waiter)
        ref = actors.monitor(pid)
        assert actors.demonitor(ref) is True
        r = actors.demonitor(ref)
        actors.exit(pid, "kill")
        return r
    assert actors.run(main) is False


def test_spawn_link_and_spawn_monitor():
    def main():
        actors.trap_exits(True)
        p1 = actors.spawn_link(crasher, 0)
        p2, ref = actors.spawn_monitor(crasher, 0)
        e = actors.receive(actors.Exit, timeout=5)
        d = actors.receive(actors.Down, timeout=5)
        return p1, p2, ref, e, d
    p1, p2, ref, e, d = actors.run(main)
    assert e.pid == p1 and isinstance(e.reason, Crash)
    assert d.ref == ref and d.pid == p2 and isinstance(d.reason, Crash)


def test_spawn_link_and_monitor_outside_actor_raise():
    with pytest.raises(actors.ActorError):
        actors.spawn_link(lambda: None)
    with pytest.raises(actors.ActorError):
        actors.spawn_monitor(lambda: None)
    with pytest.raises(actors.ActorError):
        actors.trap_exits(True)


def test_spawn_link_class_actor_crash_propagates():
    class Fragile(actors.Actor):
        def receive(self, msg):
            raise Crash(msg)

    def main():
        actors.trap_exits(True)
        pid = actors.spawn_link(Fragile)
        pid.send("ouch")
        return actors.receive(actors.Exit, timeout=5)
    msg = actors.run(main)
    assert isinstance(msg.reason, Crash) and str(msg.reason) == "ouch"


def test_class_actor_trapping_gets_exit_messages():
    class Trapper(actors.Actor):
        def __init__(self, owner):
            self.owner = owner

        def receive(self, msg):
            if msg == "trap":
                actors.trap_exits(True)
                return "trapping"
            actors.send(self.owner, ("got", msg))

    def main():
        pid = actors.spawn(Trapper, actors.self())
        assert pid.ask("trap") == "trapping"
        actors.exit(pid, "polite")
        got = actors.receive(timeout=5)
        return got, pid
    got, pid = actors.run(main)
    assert got[0] == "got" and got[1].reason == "polite"


def test_exit_kills_idle_class_actor():
    class Idle(actors.Actor):
        def receive(self, msg):
            pass

    def main():
        pid = actors.spawn(Idle)
        pid.send("x")
        actors.sleep(0.01)
        ref = actors.monitor(pid)
        actors.exit(pid, "stop it")
        return actors.receive(actors.Down, timeout=5).reason, pid.alive
    assert actors.run(main) == ("stop it", False)


def test_exception_in_actor_is_logged(caplog):
    def main():
        return watch(actors.spawn(crasher, 0, Crash("logged crash")))
    with caplog.at_level(logging.ERROR, logger="actors"):
        actors.run(main)
    recs = [r for r in caplog.records if r.name == "actors"
            and r.levelno >= logging.ERROR]
    assert recs, "no error logged"
    assert any(r.exc_info and isinstance(r.exc_info[1], Crash)
               and str(r.exc_info[1]) == "logged crash" for r in recs)
    # the traceback reaches the raising function
    assert any("crasher" in r.getMessage() + (r.exc_text or "") or
               (r.exc_info and r.exc_info[2] is not None)
               for r in recs)


def test_normal_and_signal_exits_are_not_logged(caplog):
    def main():
        watch(actors.spawn(lambda: None))
        p = actors.spawn(waiter)
        ref = actors.monitor(p)
        actors.exit(p, "kill")
        actors.receive(actors.Down, timeout=5)
        p = actors.spawn(waiter)
        ref = actors.monitor(p)
        actors.exit(p, "shutdown")
        actors.receive(actors.Down, timeout=5)
        actors.spawn(waiter)            # shut down at the end of run()
        return "ok"
    with caplog.at_level(logging.DEBUG, logger="actors"):
        assert actors.run(main) == "ok"
    assert not [r for r in caplog.records
                if r.name == "actors" and r.levelno >= logging.WARNING]


def test_crash_logged_once_not_per_linked_actor(caplog):
    # One exception, five actors linked to the crasher dying of it: the
    # traceback is logged for the crash itself, not once per victim.
    def victim(parent, crash_pid):
        actors.link(crash_pid)
        actors.send(parent, "linked")
        actors.receive()

    def main():
        c = actors.spawn(crasher, 0.05, Crash("once"))
        vs = [actors.spawn(victim, actors.self(), c) for _ in range(5)]
        for _ in vs:
            actors.receive(lambda m: m == "linked", timeout=5)
        refs = [actors.monitor(v) for v in vs]
        return [actors.receive(actors.Down, timeout=5).reason
                for _ in vs]
    with caplog.at_level(logging.ERROR, logger="actors"):
        reasons = actors.run(main)
    assert all(isinstance(r, Crash) for r in reasons)
    recs = [r for r in caplog.records if r.name == "actors"
            and r.levelno >= logging.ERROR]
    assert len(recs) == 1, [r.getMessage() for r in recs]


def test_exit_from_outside_actor_in_system():
    with actors.System() as system:
        pid = system.spawn(waiter)
        time.sleep(0.02)
        assert pid.alive
        actors.exit(pid, "kill")
        deadline = time.monotonic() + 5
        while pid.alive and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not pid.alive


def test_links_across_two_systems():
    def trapper(remote):
        actors.trap_exits(True)
        actors.link(remote)
        msg = actors.receive(actors.Exit, timeout=5)
        return msg

    with actors.System() as s1, actors.System() as s2:
        target = s2.spawn(waiter)
        box = []

        def t(remote):
            box.append(trapper(remote))
        pid = s1.spawn(t, target)
        time.sleep(0.05)
        actors.exit(target, "remote death")
        deadline = time.monotonic() + 5
        while not box and time.monotonic() < deadline:
            time.sleep(0.005)
    assert box and box[0] == actors.Exit(target, "remote death")
