"""A collected tasklet: TaskletExit on every collection, and the memory
under its frames is never freed while they can be reached.

Each test runs in a subprocess: the failures these guard against are reads
of freed frame memory (a crash, or garbage in f_locals).  After dropping a
tasklet, each test starts many others, which reuse freed root chunks and
saved stacks, then reads the locals of a frame object of the dropped one.
"""
import textwrap

import pytest

from _subproc import assert_ok, describe, run_in_subprocess

# Run first in every snippet: a tasklet that catches TaskletExit `survive`
# times (parking again each time) and logs each finally and exit.
PRELUDE = """
import gc, sys, threading
# The runtime's own Tasklet: actors.greenlet's type follows greenlet's
# collector rule (a suspended one is never garbage up to CPython 3.14).
from actors import Tasklet as greenlet, getcurrent, TaskletExit as GreenletExit
log = []
frames = []

def survivor(survive, keep=None):
    def run():
        n = 0
        x = "local"
        frames.append(sys._getframe())
        while True:
            try:
                try:
                    getcurrent().parent.switch()
                finally:
                    log.append("finally %d" % n)
            except GreenletExit:
                log.append("exit %d" % n)
                n += 1
                if n > survive:
                    raise
                if keep is not None:
                    keep.append(getcurrent())   # resurrect it
    return run

def churn():
    # Reuse whatever memory dropped tasklets gave back.
    gs = [greenlet(lambda: getcurrent().parent.switch()) for _ in range(200)]
    for g in gs:
        g.switch()
    return gs

def frame_ok():
    return frames[0].f_locals.get("x") == "local"
"""


def run(code, expected):
    assert_ok(run_in_subprocess(PRELUDE + textwrap.dedent(code)), expected)


def test_exit_is_thrown_again_each_time_a_resurrected_tasklet_is_dropped():
    run("""
        keep = []
        g = greenlet(survivor(2, keep)); g.switch()
        del g
        print(log)
        keep.clear()           # dropped again: a second TaskletExit
        print(log)
        keep.clear()           # and a third, which ends it
        print(log, len(keep))
        gs = churn()
        print(frames[0].f_locals["n"])
    """, "['finally 0', 'exit 0']\n"
         "['finally 0', 'exit 0', 'finally 1', 'exit 1']\n"
         "['finally 0', 'exit 0', 'finally 1', 'exit 1', 'finally 2', "
         "'exit 2'] 0\n3\n")


def test_tasklet_that_never_ends_is_kept_with_its_frames():
    run("""
        keep = []
        g = greenlet(survivor(10 ** 9, keep)); g.switch()
        del g
        for _ in range(5):
            keep.clear()
        gs = churn()
        print(len(log), frame_ok())
    """, "12 True\n")


def test_resurrected_tasklet_in_a_garbage_cycle_is_not_cleared():
    # The collector finalizes the cycle (exit 0), then clears it: the
    # tasklet keeps its fields (its thread, its parent) for the next exit,
    # thrown when the cleared cycle lets it go.
    run("""
        class T(greenlet):
            pass
        g = T(survivor(1)); g.switch()
        g.cycle = g
        del g
        gc.collect(); gc.collect()
        gs = churn()
        print(log, frames[0].f_locals["n"])
    """, "['finally 0', 'exit 0', 'finally 1', 'exit 1'] 2\n")


def test_cycle_that_only_the_tasklet_holds_is_finalized_at_every_collection():
    # Nothing the collector may clear breaks this cycle (the tasklet's run,
    # a bound method, holds the tasklet): it stays garbage, and each
    # collection throws TaskletExit into it again; its frames stay intact.
    run("""
        import types
        def body(me):
            del me
            survivor(10 ** 9)()
        g = greenlet()
        g.run = types.MethodType(body, g)
        g.switch()
        del g
        for _ in range(3):
            gc.collect()
        gs = churn()
        print(log, frame_ok())
    """, "['finally 0', 'exit 0', 'finally 1', 'exit 1', 'finally 2', "
         "'exit 2'] True\n")


def test_collector_ends_a_tasklet_started_with_arguments():
    # Ended because of a collection, and its run's arguments freed as it
    # ends: that must not happen while the collector's own lists are in
    # use (it segfaulted, or aborted with "a finished tasklet left frames
    # behind").
    run("""
        def body(arg):
            try:
                getcurrent().parent.switch()
            finally:
                log.append("finally")
        g = greenlet(body); g.switch(1); g.cycle = g
        del g
        gc.collect()
        print(log)
    """, "['finally']\n")


def test_subclass_del_that_skips_super_still_ends_the_tasklet():
    run("""
        class T(greenlet):
            def __del__(self):
                log.append("del")
        g = T(survivor(0)); g.switch()
        del g
        gs = churn()
        print(log)
    """, "['del', 'finally 0', 'exit 0']\n")


def test_subclass_del_that_resurrects_and_survives_keeps_the_frames():
    run("""
        keep = []
        class T(greenlet):
            def __del__(self):
                log.append("del")
        g = T(survivor(10 ** 9, keep)); g.switch()
        del g
        keep.clear(); keep.clear()
        gs = churn()
        # (its __del__ runs at every drop too: each survival clears the
        # object's finalized mark)
        print(log[3:6], len(log), frame_ok(), type(keep[0]).__name__)
    """, "['del', 'finally 1', 'exit 1'] 9 True T\n")


def test_kill_queued_for_a_thread_that_ends_first_never_frees_the_frames():
    # Dropped in the main thread while its own thread lives: queued there;
    # that thread ends without another switch.  (Its frames hold its
    # parent, so the ended thread's state, queue included, stays reachable
    # here; the guard in tasklet_dealloc covers a queue that is dropped.)
    run("""
        box = {}
        ready, dropped = threading.Event(), threading.Event()
        def owner():
            g = greenlet(survivor(0)); g.switch(); box["g"] = g
            del g
            ready.set()
            dropped.wait(10)
        t = threading.Thread(target=owner)
        t.start(); ready.wait(10)
        del box["g"]
        dropped.set(); t.join()
        for _ in range(3):
            gc.collect()
        gs = churn()
        # The frames of a tasklet whose thread ended are released; the
        # frame object held here owns a copy of its frame by then.
        print(log, frame_ok() or frames[0].f_locals == {})
    """, "[] True\n")


@pytest.mark.native_only
def test_finished_tasklets_free_their_memory():
    # The guards keep only suspended tasklets: finished ones, resurrected
    # or not, give their blocks back.
    run("""
        import actors._core as core
        before = core._stats()["blocks_in_use"]
        keep = []
        for i in range(100):
            g = greenlet(survivor(1, keep)); g.switch()
            del g
            keep.clear()
        del frames[:]
        gc.collect()
        print(core._stats()["blocks_in_use"] - before <= 2)
    """, "True\n")


def test_kill_queued_for_a_sleeping_scheduler_thread_runs_at_once():
    # The owner thread's scheduler sleeps in its poller (its only actor
    # waits 60 s); a tasklet of that thread dropped here is ended there now,
    # not at that thread's next switch.
    run("""
        import time, actors
        box = {}
        ready, ended = threading.Event(), threading.Event()
        def owner():
            def body():
                try:
                    getcurrent().parent.switch()
                finally:
                    ended.set()
            g = greenlet(body); g.switch(); box["g"] = g
            del g
            def main():
                box["pid"] = actors.self()
                ready.set()
                actors.receive(timeout=60)
            actors.run(main)
        t = threading.Thread(target=owner, daemon=True)
        t.start(); ready.wait(10)
        time.sleep(0.2)                 # asleep in the poller by now
        del box["g"]
        print(ended.wait(10))
        actors.send(box["pid"], "stop")
        t.join(10)
        print(t.is_alive())
    """, "True\nFalse\n")


def test_tasklet_kept_after_its_thread_ended_releases_its_start_arguments():
    # Started with switch(arg) in a thread that ends while it is parked:
    # whatever becomes of its frames, the argument tuple only its C stack
    # used is released.  (Keyword arguments are not: CPython's call copies
    # them into an array that the never-resumed C call owns.)
    run("""
        import weakref
        class Arg:
            pass
        refs, kept = [], []
        def owner():
            def body(*args):
                del args                 # only the start call holds it now
                getcurrent().parent.switch()
            a = Arg()
            refs.append(weakref.ref(a))
            g = greenlet(body); g.switch(a)
            kept.append(g)
            del a, g
        t = threading.Thread(target=owner); t.start(); t.join()
        del kept[:]              # dropped here, after its thread ended
        for _ in range(3):
            gc.collect()
        print(refs[0]() is None)
    """, "True\n")


def test_cycle_ended_by_the_collector_after_surviving_twice():
    run("""
        import types
        def body(me):
            del me
            survivor(2)()
        g = greenlet()
        g.run = types.MethodType(body, g)
        g.switch()
        del g
        for _ in range(3):
            gc.collect()
        gs = churn()
        print(len(log), frames[0].f_locals["n"])
    """, "6 3\n")


def test_thread_state_of_an_ended_thread_is_not_held_by_its_tasklets_stack():
    # A tasklet left suspended when its thread ends is freed (its frames
    # released), and nothing on its dead C stack may hold the thread's
    # state: it goes with them.
    r = run_in_subprocess("""
        import gc, sys, threading
        import actors.greenlet as greenlet

        def states():
            gc.collect(); gc.collect()
            return sum(type(o).__name__ == "_ThreadState"
                       for o in gc.get_objects())

        def once():
            left = []
            def creator():
                g = greenlet.greenlet(
                    lambda: greenlet.getcurrent().parent.switch())
                g.switch()
                left.append(g)            # suspended when the thread ends
            t = threading.Thread(target=creator)
            t.start()
            t.join()
            del left[:]                   # dropped after its thread ended

        once()
        before = states()
        for _ in range(5):
            once()
        print(states() - before)
    """)
    assert r.returncode == 0, describe(r)
    assert r.stdout.split()[-1] == "0", describe(r)
