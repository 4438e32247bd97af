"""Issue 9, items 5-8: the loop never dies of an actor's mistake, an aborted
run() tears its actors down, cross-thread waits are bounded or answered, and
the semantics of exit(pid, None), matchers that send or receive, and
sys.exit() inside a System.  Anything that used to hang or kill the loop
runs in a child with a timeout."""
import threading
import time

import pytest

import actors
from _subproc import assert_ok, describe, run_in_subprocess


# -- 5. the loop never dies of an actor's mistake ----------------------------

def test_timer_whose_send_fails_crashes_its_owner_not_the_loop():
    proc = run_in_subprocess("""
        import actors
        from actors._backend import core

        class Router:                     # a cluster layer that fails
            def send(self, pid, msg):
                raise RuntimeError("cannot send")
        core._set_router(Router())
        remote = core._pid(7, 1)

        def owner():
            actors.send_after(0.01, remote, "x")
            actors.receive()

        def main():
            pid, ref = actors.spawn_monitor(owner)
            down = actors.receive(actors.Down, timeout=5)
            actors.send_after(0.01, actors.self(), "loop alive")
            return repr(down.reason), actors.receive(timeout=5)

        print(actors.run(main))
        """, timeout=30)
    assert_ok(proc, "(\"RuntimeError('cannot send')\", 'loop alive')\n")


def test_send_after_refuses_a_non_destination_at_the_call():
    def main():
        with pytest.raises(TypeError):
            actors.send_after(0, 12345, "x")
        return "ok"
    assert actors.run(main) == "ok"


CRASHY_MATCHER = """
    import actors, threading, time

    class Meta(type):
        def __instancecheck__(cls, obj):
            raise LookupError("bad matcher")

    class Weird(metaclass=Meta):
        pass

    def waiter():
        actors.receive(Weird)
"""


def test_a_matcher_that_raises_crashes_the_receiver_not_the_sender():
    proc = run_in_subprocess(CRASHY_MATCHER + """
    def main():
        pid, ref = actors.spawn_monitor(waiter)
        actors.sleep(0.01)
        actors.send(pid, "hello")         # the sender runs no user matcher
        down = actors.receive(actors.Down, timeout=5)
        return type(down.reason).__name__
    print(actors.run(main))
    """, timeout=30)
    assert_ok(proc, "LookupError\n")


def test_a_matcher_that_raises_from_another_thread_keeps_the_loop():
    proc = run_in_subprocess(CRASHY_MATCHER + """
    class Echo(actors.Actor):
        def receive(self, msg):
            return msg
    with actors.System() as system:
        w = system.spawn(waiter)
        echo = system.spawn(Echo)
        time.sleep(0.05)
        actors.send(w, "hello")           # delivered by the loop's inbox
        time.sleep(0.05)
        print(w.alive, actors.ask(echo, "still here", timeout=5))
    """, timeout=30)
    assert_ok(proc, "False still here\n")


def test_bad_matcher_is_a_type_error_in_the_receiver():
    def main():
        for bad in ((int, "x"), 42):
            with pytest.raises(TypeError):
                actors.receive(bad, timeout=0)
        actors.send(actors.self(), 1)
        return actors.receive(int | str, timeout=0)
    assert actors.run(main) == 1


def test_fd_callback_closing_its_fd_does_not_kill_the_loop():
    proc = run_in_subprocess("""
        import actors, os
        from actors._backend import core

        def main():
            r, w = os.pipe()
            def cb():
                os.close(r)               # closes its fd, never unwatches
                return False
            core._watch_fd(r, cb)
            os.write(w, b"x")
            actors.sleep(0.05)
            actors.send_after(0.01, actors.self(), "alive")
            return actors.receive(timeout=5)
        print(actors.run(main))
        """, timeout=30)
    assert_ok(proc, "alive\n")


def test_every_watcher_and_link_is_told_even_when_one_fails():
    proc = run_in_subprocess("""
        import actors
        from actors._backend import core

        class Router:
            def down(self, *a):
                raise RuntimeError("remote down failed")
        core._set_router(Router())

        def victim():
            actors.receive()

        def linked(v):
            actors.trap_exits()
            actors.link(v)
            actors.send(main_pid, "linked")
            return actors.receive(actors.Exit)

        def main():
            global main_pid
            main_pid = actors.self()
            v = actors.spawn(victim)
            core._in_monitor(v, core._pid(7, 1), actors.Ref())  # remote
            ref = actors.monitor(v)
            l, lref = actors.spawn_monitor(linked, v)
            actors.receive("linked".__eq__, timeout=5)
            actors.exit(v, "boom")
            d1 = actors.receive(lambda m: type(m) is actors.Down and
                                m.ref == ref, timeout=5)
            d2 = actors.receive(lambda m: type(m) is actors.Down and
                                m.ref == lref, timeout=5)
            return d1.reason, d2.reason
        print(actors.run(main))
        """, timeout=30)
    assert_ok(proc)
    assert proc.stdout == "('boom', 'normal')\n", describe(proc)


# -- 6. an aborted run() ----------------------------------------------------

def test_sigterm_exit_in_poll_tears_actors_down():
    proc = run_in_subprocess("""
        import actors, os, signal, sys, threading

        signal.signal(signal.SIGTERM, lambda *a: sys.exit(3))

        def worker():
            actors.register("worker", actors.self())
            actors.join("g", actors.self())
            try:
                actors.receive()
            finally:
                print("worker finally")

        def main():
            actors.spawn(worker)
            try:
                actors.receive()          # the loop sleeps in poll
            finally:
                print("main finally")

        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
        try:
            actors.run(main)
        except SystemExit as e:
            print("SystemExit", e.code)
        print(actors.whereis("worker"), actors.members("g"))

        def again():
            actors.register("worker", actors.self())
            actors.join("g", actors.self())
            return "again"
        print(actors.run(again))
        """, timeout=30)
    assert_ok(proc)
    lines = proc.stdout.splitlines()
    assert sorted(lines[:2]) == ["main finally", "worker finally"], \
        describe(proc)
    assert lines[2:] == ["SystemExit 3", "None []", "again"], describe(proc)


# -- 7. races and hangs across threads ----------------------------------------

def test_spawn_racing_stop_never_hangs():
    proc = run_in_subprocess("""
        import actors, threading, time

        outcomes = set()
        for i in range(40):
            system = actors.System().start()
            go = threading.Event()
            def spawner():
                go.wait()
                for _ in range(200):
                    try:
                        system.spawn(actors.receive)
                        outcomes.add("spawned")
                    except actors.ActorError:
                        outcomes.add("refused")
                        return
            t = threading.Thread(target=spawner)
            t.start()
            go.set()
            time.sleep(0.001 * (i % 5))
            system.stop()
            t.join(10)
            assert not t.is_alive(), "System.spawn() hung"
        print(sorted(outcomes))
        """, timeout=120)
    assert_ok(proc)
    assert "refused" in proc.stdout, describe(proc)


def test_asks_racing_stop_get_an_answer():
    """Asks posted while (or after) the loop ends get ActorDeadError, not
    their timeout."""
    proc = run_in_subprocess("""
        import actors, threading, time

        class Echo(actors.Actor):
            def receive(self, msg):
                return msg

        slow = []
        for i in range(30):
            system = actors.System().start()
            pids = [system.spawn(Echo) for _ in range(20)]
            def asker():
                for n in range(2000):
                    t0 = time.monotonic()
                    try:
                        actors.ask(pids[n % 20], n, timeout=30)
                    except actors.ActorDeadError:
                        pass
                    if time.monotonic() - t0 > 5:
                        slow.append(n)
                        return
            t = threading.Thread(target=asker)
            t.start()
            time.sleep(0.002 * (i % 4))
            system.stop()
            t.join(60)
            assert not t.is_alive()
        print("slow asks:", slow)
        """, timeout=300)
    assert_ok(proc, "slow asks: []\n")


def test_stopped_scheduler_answers_posts_at_once():
    proc = run_in_subprocess("""
        import actors
        from actors._backend import core
        system = actors.System().start()
        sched = system._sched
        system.stop()
        try:
            core._spawn_in(sched, actors.receive, (), {})
        except actors.ActorError as e:
            print("refused:", e)
        """, timeout=30)
    assert_ok(proc, "refused: the System is stopping\n")


# -- 8. semantics -------------------------------------------------------------

def test_exit_with_reason_none_kills_like_any_non_normal_reason():
    def victim():
        actors.receive()

    def trapper():
        actors.trap_exits()
        v = actors.spawn_link(victim)
        actors.exit(v, None)
        return actors.receive(actors.Exit, timeout=5)

    def main():
        v = actors.spawn(victim)
        ref = actors.monitor(v)
        actors.exit(v, None)
        down = actors.receive(actors.Down, timeout=5)
        t, tref = actors.spawn_monitor(trapper)
        return down.reason, actors.receive(actors.Down, timeout=5).reason
    r1, r2 = actors.run(main)
    assert r1 is None
    assert r2 == "normal"


def test_matcher_that_sends_to_its_own_actor():
    def main():
        me = actors.self()
        for m in ("a", "b", "c"):
            actors.send(me, m)

        def match(m):
            actors.send(me, "seen " + m)  # grows the mailbox under the scan
            return m == "b"
        got = actors.receive(match, timeout=0)
        rest = []
        while True:
            m = actors.receive(timeout=0, default=None)
            if m is None:
                return got, rest
            rest.append(m)
    got, rest = actors.run(main)
    assert got == "b"
    assert rest[:2] == ["a", "c"]
    assert rest[2:] == ["seen a", "seen b"]   # the scan stopped at "b"


def test_matcher_that_sends_while_waiting():
    def poke(dest):
        actors.send(dest, "x")
        actors.send(dest, "y")

    def main():
        me = actors.self()
        actors.spawn(poke, me)
        seen = []

        def match(m):
            seen.append(m)
            if m == "x":
                actors.send(me, "z")
            return m == "z"
        got = actors.receive(match, timeout=5)
        return got, actors.receive(timeout=0), actors.receive(timeout=0)
    assert actors.run(main) == ("z", "x", "y")


def test_receive_inside_a_matcher_is_refused_and_loses_nothing():
    def main():
        me = actors.self()
        for m in (1, 2, 3):
            actors.send(me, m)

        def nested(m):
            actors.receive(timeout=0)
            return True
        try:
            actors.receive(nested, timeout=0)
        except actors.ActorError as e:
            err = str(e)
        try:
            actors.receive(lambda m: actors.sleep(0), timeout=0)
        except actors.ActorError:
            pass
        rest = [actors.receive(timeout=0) for _ in range(3)]
        return err, rest, actors.receive(timeout=0, default="empty")
    err, rest, last = actors.run(main)
    assert "matcher" in err
    assert rest == [1, 2, 3] and last == "empty"


def test_sys_exit_inside_a_system_is_reported_by_stop():
    proc = run_in_subprocess("""
        import actors, sys, time
        system = actors.System().start()
        keeper = system.spawn(actors.receive)
        system.spawn(sys.exit, 3)
        time.sleep(0.2)
        try:
            system.spawn(actors.receive)
        except actors.ActorError as e:
            print("spawn:", "SystemExit" in str(e))
        try:
            system.stop()
            print("stop returned")
        except SystemExit as e:
            print("stop raised SystemExit", e.code)
        print(keeper.alive)
        """, timeout=30)
    assert_ok(proc, "spawn: True\nstop raised SystemExit 3\nFalse\n")


def test_a_message_whose_class_check_raises_keeps_the_loop():
    """isinstance() of a type matcher runs in the sender (or, from another
    thread, in the loop); a message whose __class__ raises must not take
    either down."""
    proc = run_in_subprocess("""
        import actors, time

        class Liar:
            @property
            def __class__(self):
                raise LookupError("no class")

        class Echo(actors.Actor):
            def receive(self, msg):
                return msg

        def waiter():
            return actors.receive(int)

        with actors.System() as system:
            w = system.spawn(waiter)
            echo = system.spawn(Echo)
            time.sleep(0.05)
            actors.send(w, Liar())        # through the loop's inbox
            time.sleep(0.05)
            print(w.alive, actors.ask(echo, "still here", timeout=5))
        """, timeout=30)
    assert_ok(proc, "False still here\n")


def test_actor_refusing_shutdown_still_answers_its_askers():
    """An actor that swallows its 'shutdown' is abandoned when the System
    stops; the thread whose request it took gets ActorDeadError then, not
    at its timeout, and its name is freed."""
    proc = run_in_subprocess("""
        import actors, threading, time

        def stubborn():
            actors.register("stubborn", actors.self())
            actors.receive()              # takes the request, never replies
            while True:
                try:
                    actors.receive()
                except BaseException:     # refuses to end
                    pass

        system = actors.System().start()
        pid = system.spawn(stubborn)
        out = []
        def asker():
            t0 = time.monotonic()
            try:
                actors.ask(pid, "hello", timeout=60)
            except actors.ActorDeadError:
                out.append(time.monotonic() - t0 < 30)
        t = threading.Thread(target=asker)
        t.start()
        time.sleep(0.1)
        system.stop()
        t.join(60)
        print(out, actors.whereis("stubborn"))
        """, timeout=120)
    assert_ok(proc, "[True] None\n")
