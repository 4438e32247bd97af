"""Issue 9, item 9: fork().  A child never shares the parent's epoll
instance or wake-up pipe and never runs inherited actors: the runtime starts
clean there (a new actors.run() or System works), and an inherited actor
that uses it gets a clear ActorError.  Each case forks inside a child
interpreter (with a timeout), so a hang or crash cannot take pytest down."""
import os
import textwrap

import pytest

from _subproc import assert_ok, run_in_subprocess

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork()")

# The forked child reports on a pipe and leaves with os._exit: its stdout
# buffers are a copy of the parent's.
CHILD = """
import actors, os, sys, time, warnings
warnings.simplefilter("ignore", DeprecationWarning)   # fork with threads

def in_child(fn):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            out = repr(fn())
        except BaseException as e:
            out = "raised %s: %s" % (type(e).__name__, e)
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    return data.decode()
"""


def test_child_of_a_thread_with_a_system_starts_clean():
    proc = run_in_subprocess(CHILD + textwrap.dedent("""
        class Echo(actors.Actor):
            def receive(self, msg):
                return msg

        with actors.System() as system:
            echo = system.spawn(Echo)
            actors.register("echo", echo)

            def child():
                out = [actors.whereis("echo"), echo.alive]
                try:
                    system.spawn(Echo)
                except actors.ActorError:
                    out.append("spawn refused")
                def main():
                    actors.register("echo", actors.self())   # name is free
                    t = actors.send_after(0.01, actors.self(), "tick")
                    return actors.receive(timeout=5)
                out.append(actors.run(main))
                return out

            print(in_child(child))
            # the parent's system is untouched by the child
            print(actors.ask(echo, "parent ok", timeout=5))
        """), timeout=60)
    assert_ok(proc, "[None, False, 'spawn refused', 'tick']\nparent ok\n")


def test_fork_inside_an_actor_gives_a_clear_error_in_the_child():
    proc = run_in_subprocess(CHILD + textwrap.dedent("""
        def pinger(dest):
            for i in range(5):
                actors.sleep(0.02)
                actors.send(dest, i)

        def main():
            actors.spawn(pinger, actors.self())
            def child():
                out = []
                for call in (actors.receive, actors.self,
                             lambda: actors.sleep(0.01),
                             lambda: actors.spawn(actors.receive)):
                    try:
                        call()
                        out.append("worked")
                    except actors.ActorError as e:
                        out.append("fork" in str(e))
                return out
            got = in_child(child)
            # the parent still gets every wake-up (the child did not take
            # them from a shared epoll)
            return got, [actors.receive(timeout=5) for _ in range(5)]

        print(actors.run(main))
        """), timeout=60)
    assert_ok(proc, "('[True, True, True, True]', [0, 1, 2, 3, 4])\n")


def test_child_returning_from_an_inherited_actor_gets_an_error():
    """The child leaves the forking actor without os._exit: the inherited
    run() raises ActorError there instead of running the parent's actors."""
    proc = run_in_subprocess("""
        import actors, os, warnings

        def other():
            actors.receive()
            print("parent's actor ran in", os.getpid())

        def main():
            actors.spawn(other)
            pid = os.fork()
            if pid == 0:
                return "child"
            os.waitpid(pid, 0)
            return "parent"

        parent = os.getpid()
        try:
            print(actors.run(main), os.getpid() == parent)
        except actors.ActorError as e:
            print("error in child:", "fork" in str(e))
            os._exit(0)
        """, timeout=60)
    assert_ok(proc)
    # The child's output comes first (the parent waits for it)
    assert proc.stdout == "error in child: True\nparent True\n", proc.stdout
