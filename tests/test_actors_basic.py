"""actors runtime basics: run, spawn, send, receive, Pid, self, bad use."""
import pickle
import threading

import pytest

import actors
from _subproc import assert_ok, run_in_subprocess


def test_run_returns_main_result():
    assert actors.run(lambda: 42) == 42


def test_run_passes_args_and_kwargs():
    def main(a, b, *, c):
        return (a, b, c)
    assert actors.run(main, 1, 2, c=3) == (1, 2, 3)


def test_run_returns_none_for_plain_return():
    def main():
        pass
    assert actors.run(main) is None


def test_run_raises_main_exception():
    class Boom(Exception):
        pass

    def main():
        raise Boom("bad")
    with pytest.raises(Boom, match="bad"):
        actors.run(main)


def test_run_can_be_called_again_after_exception():
    def bad():
        raise ValueError("x")
    with pytest.raises(ValueError):
        actors.run(bad)
    assert actors.run(lambda: "again") == "again"


def test_run_inside_run_is_an_error():
    def main():
        with pytest.raises(actors.ActorError):
            actors.run(lambda: 1)
        return "ok"
    assert actors.run(main) == "ok"


def test_spawn_send_receive_roundtrip():
    def echo():
        sender, msg = actors.receive()
        actors.send(sender, ("echo", msg))

    def main():
        pid = actors.spawn(echo)
        actors.send(pid, (actors.self(), "hi"))
        return actors.receive(timeout=5)
    assert actors.run(main) == ("echo", "hi")


def test_spawn_with_args_and_kwargs():
    def child(parent, a, b=None):
        actors.send(parent, (a, b))

    def main():
        actors.spawn(child, actors.self(), 1, b=2)
        return actors.receive(timeout=5)
    assert actors.run(main) == (1, 2)


def test_pid_send_method_and_fifo_order():
    def main():
        me = actors.self()
        for i in range(100):
            me.send(i)
        return [actors.receive(timeout=1) for _ in range(100)]
    assert actors.run(main) == list(range(100))


def test_messages_from_one_sender_arrive_in_order():
    def producer(dest, n):
        for i in range(n):
            actors.send(dest, i)

    def main():
        me = actors.self()
        actors.spawn(producer, me, 5000)
        return [actors.receive(timeout=5) for _ in range(5000)]
    assert actors.run(main) == list(range(5000))


def test_self_is_distinct_per_actor():
    def child(parent):
        actors.send(parent, actors.self())

    def main():
        me = actors.self()
        pid = actors.spawn(child, me)
        got = actors.receive(timeout=5)
        return me, pid, got
    me, pid, got = actors.run(main)
    assert got == pid
    assert me != pid
    assert isinstance(me, actors.Pid)


def test_pid_properties():
    def child():
        actors.receive()

    def main():
        a = actors.spawn(child)
        b = actors.spawn(child)
        assert a.alive and b.alive
        a.send("stop")
        b.send("stop")
        actors.sleep(0.01)
        return a, b, a.alive, b.alive
    a, b, a_alive, b_alive = actors.run(main)
    assert not a_alive and not b_alive
    assert a != b and a < b and b > a and a <= a and a >= a
    assert sorted([b, a]) == [a, b]
    assert hash(a) == hash(pickle.loads(pickle.dumps(a)))
    assert {a: 1, b: 2}[pickle.loads(pickle.dumps(b))] == 2
    assert len({a, b, pickle.loads(pickle.dumps(a))}) == 2
    assert repr(a).startswith("<Pid 0.") and repr(a).endswith(">")
    assert repr(a) == "<Pid %d.%d>" % (a.node, a.id)
    assert b.id > a.id
    assert (a == "x") is False
    assert a != object()


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pid_pickle_roundtrip_all_protocols(protocol):
    def main():
        return actors.self()
    pid = actors.run(main)
    copy = pickle.loads(pickle.dumps(pid, protocol))
    assert copy == pid and copy is not pid
    assert type(copy) is actors.Pid
    assert repr(copy) == repr(pid)


def test_unpickled_pid_reaches_live_actor():
    def main():
        me = pickle.loads(pickle.dumps(actors.self()))
        assert me.alive
        me.send("to myself")
        return actors.receive(timeout=1)
    assert actors.run(main) == "to myself"


def test_sends_find_their_actor_among_many_that_share_table_slots():
    """The runtime finds a Pid's actor through an array indexed by its id
    (sized to the live actors, from 1,024 slots up) beside the Pid table:
    actors whose ids share a slot, actors that ended (their slot reused by
    a later one), copies of a Pid and a table that grew must all reach the
    right actor or none."""
    def echo(tag):
        while True:
            msg = actors.receive()
            if msg is None:
                return
            msg.send((tag, actors.self()))

    def main():
        me = actors.self()
        first = [actors.spawn(echo, i) for i in range(1100)]   # ids wrap
        for i in range(0, 1100, 50):
            first[i].send(me)
            assert actors.receive(timeout=5) == (i, first[i])
        # End every other one: their slots are cleared, sends dead-letter.
        for p in first[::2]:
            p.send(None)
        actors.sleep(0.05)
        before = actors.dead_letters()[0]
        for p in first[:200:2]:
            assert not p.alive
            p.send(me)
        assert actors.dead_letters()[0] == before + 100
        # New actors take the freed and the shared slots, and the table
        # grows past its first size; old and new Pids (and copies made by
        # pickling, which are other objects) reach their own actor.
        more = [actors.spawn(echo, 2000 + i) for i in range(3000)]
        for i in range(1, 1100, 74):          # odd: alive
            pickle.loads(pickle.dumps(first[i])).send(me)
            assert actors.receive(timeout=5) == (i, first[i])
            first[i].send(me)
            assert actors.receive(timeout=5) == (i, first[i])
        for i in range(0, 3000, 97):
            more[i].send(me)
            assert actors.receive(timeout=5) == (2000 + i, more[i])
        assert actors.dead_letters()[0] == before + 100
        for p in first[1::2] + more:
            p.send(None)
        actors.sleep(0.05)
        assert not any(p.alive for p in first + more)
        return True
    assert actors.run(main)


def test_pid_ordering_with_other_types_raises():
    pid = actors.run(actors.self)
    with pytest.raises(TypeError):
        pid < 1


def test_pid_of_dead_actor_stays_valid():
    def main():
        pid = actors.spawn(lambda: None)
        actors.sleep(0.01)
        assert not pid.alive
        pid.send("lost")                 # never fails
        actors.send(pid, "lost too")
        return pid
    pid = actors.run(main)
    assert not pid.alive


def test_receive_outside_actor_raises():
    with pytest.raises(actors.ActorError):
        actors.receive(timeout=0)


def test_self_outside_actor_raises():
    with pytest.raises(actors.ActorError):
        actors.self()


def test_spawn_outside_system_raises():
    with pytest.raises(actors.ActorError):
        actors.spawn(lambda: None)


def test_spawn_outside_system_raises_in_other_thread():
    errors = []

    def t():
        try:
            actors.spawn(lambda: None)
        except actors.ActorError as e:
            errors.append(e)
    th = threading.Thread(target=t)
    th.start()
    th.join(10)
    assert len(errors) == 1


@pytest.mark.parametrize("bad", [None, 42, "name", object()])
def test_spawn_non_callable_raises_type_error(bad):
    def main():
        with pytest.raises(TypeError):
            actors.spawn(bad)
        return "ok"
    assert actors.run(main) == "ok"


def test_run_non_callable_raises_type_error():
    with pytest.raises(TypeError):
        actors.run(42)


def test_send_to_bad_destination_type_raises():
    def main():
        with pytest.raises(TypeError):
            actors.send(12345, "x")
        return "ok"
    assert actors.run(main) == "ok"


def test_class_actor_constructor_args_and_state():
    class Counter(actors.Actor):
        def __init__(self, start, step=1):
            self.n = start
            self.step = step

        def receive(self, msg):
            if msg == "get":
                return self.n
            self.n += self.step

    def main():
        c = actors.spawn(Counter, 10, step=5)
        for _ in range(3):
            c.send("inc")
        return c.ask("get")
    assert actors.run(main) == 25


def test_class_actor_without_receive_dies_with_not_implemented():
    class Empty(actors.Actor):
        pass

    def main():
        pid, ref = actors.spawn_monitor(Empty)
        pid.send("x")
        return actors.receive(actors.Down, timeout=5)
    down = actors.run(main)
    assert isinstance(down.reason, NotImplementedError)


def test_many_actors_each_reply():
    def child(parent, i):
        actors.send(parent, i * i)

    def main():
        me = actors.self()
        for i in range(2000):
            actors.spawn(child, me, i)
        return sorted(actors.receive(timeout=5) for _ in range(2000))
    assert actors.run(main) == sorted(i * i for i in range(2000))


def test_exception_object_from_actor_in_run_in_subprocess():
    # KeyboardInterrupt raised inside a (non-main) actor ends run() with it.
    proc = run_in_subprocess("""
        import actors
        def bad():
            raise KeyboardInterrupt
        def main():
            actors.spawn(bad)
            actors.receive()        # would wait forever
        try:
            actors.run(main)
        except KeyboardInterrupt:
            print("KI")
        print(actors.run(lambda: "again"))
    """, timeout=60)
    assert_ok(proc, "KI\nagain\n")


def test_system_exit_in_main_actor_in_subprocess():
    proc = run_in_subprocess("""
        import actors, sys
        def main():
            actors.spawn(actors.receive)
            sys.exit(7)
        actors.run(main)
        print("not reached")
    """, timeout=60)
    assert proc.returncode == 7, proc.stderr
    assert "not reached" not in proc.stdout


def test_actors_left_suspended_at_interpreter_exit_in_subprocess():
    # A System left running and actors that refuse to die must not crash
    # the interpreter at exit.
    proc = run_in_subprocess("""
        import actors, threading
        def stubborn():
            while True:
                try:
                    actors.receive()
                except BaseException:
                    pass
        def main():
            for _ in range(100):
                actors.spawn(stubborn)
            for _ in range(100):
                actors.spawn(actors.receive)
            return "done"
        print(actors.run(main))
        s = actors.System().start()
        for _ in range(100):
            s.spawn(actors.receive)
        print("exit")
    """, timeout=60)
    assert_ok(proc, "done\nexit\n")


def test_class_actor_self_send_and_blocking_handler_keep_order():
    class Loop(actors.Actor):
        def __init__(self, owner):
            self.owner = owner
            self.log = []

        def receive(self, msg):
            self.log.append(msg)
            if msg == 0:
                actors.self().send(1)     # while running
                actors.sleep(0.01)        # block inside the handler
                actors.self().send(2)
            if msg == 2:
                self.owner.send(list(self.log))

    def main():
        p = actors.spawn(Loop, actors.self())
        p.send(0)
        p.send("a")
        p.send("b")
        return actors.receive(timeout=5)
    assert actors.run(main) == [0, "a", "b", 1, 2]


def test_class_actor_handles_many_messages_across_batches():
    class Sum(actors.Actor):
        def __init__(self):
            self.total = 0

        def receive(self, msg):
            if msg == "total":
                return self.total
            self.total += msg

    def main():
        p = actors.spawn(Sum)
        for i in range(10000):
            p.send(i)
        return p.ask("total")
    assert actors.run(main) == sum(range(10000))


def test_class_actor_killed_while_blocked_in_handler_runs_finally():
    class Blocker(actors.Actor):
        def receive(self, msg):
            try:
                actors.receive(lambda m: m == "never")
            finally:
                msg.send("finally ran")

    def main():
        p, ref = actors.spawn_monitor(Blocker)
        p.send(actors.self())
        actors.sleep(0.01)
        actors.exit(p, "stop")
        return actors.receive(timeout=5), actors.receive(timeout=5)
    fin, down = actors.run(main)
    assert fin == "finally ran"
    assert down.reason == "stop"


def test_sigint_while_scheduler_idle_in_subprocess():
    proc = run_in_subprocess("""
        import actors, os, signal, threading
        pids = []
        def main():
            for _ in range(10):
                pids.append(actors.spawn(actors.receive))
            threading.Timer(0.2, lambda: os.kill(os.getpid(),
                                                 signal.SIGINT)).start()
            actors.receive()
        try:
            actors.run(main)
        except KeyboardInterrupt:
            print("KI")
        print(any(p.alive for p in pids))
        print(actors.run(lambda: "again"))
    """, timeout=60)
    assert_ok(proc, "KI\nFalse\nagain\n")


def test_sigint_while_actors_busy_in_subprocess():
    """Ctrl-C (SIGINT from outside) while actors keep the scheduler busy:
    run() raises KeyboardInterrupt soon, and a new run() works."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time
    from _subproc import TESTS_DIR
    code = textwrap.dedent("""
        import actors, time
        def spin():
            while True:
                actors.sleep(0)
        def main():
            for _ in range(10):
                actors.spawn(spin)
            print("busy", flush=True)
            t0 = time.monotonic()
            while time.monotonic() - t0 < 20:
                actors.sleep(0)
            return "not interrupted"
        t0 = time.monotonic()
        try:
            print(actors.run(main))
        except KeyboardInterrupt:
            print("KI", time.monotonic() - t0 < 10)
        print(actors.run(lambda: "again"))
    """)
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-c", code],
                            cwd=TESTS_DIR, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "busy\n"
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out == "KI True\nagain\n", (out, err)


def test_the_package_has_no_module_getattr_and_imports_no_zeromq():
    # CPython 3.11-3.13 specialize `actors.send` lookups only on a module
    # without __getattr__ (with one, every lookup searches dictionaries);
    # the node layer and ZeroMQ come in with run(node=...), not before.
    import subprocess
    import sys
    code = ("import sys, actors; "
            "print('__getattr__' in vars(actors), 'zmq' in sys.modules, "
            "actors.nodes(), actors.node_name(), actors.NodeConfig.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split() == ["False", "False", "[]", "None",
                                  "NodeConfig"], out.stderr
