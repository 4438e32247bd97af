"""Threads: one main tasklet per thread; cross-thread use is an error."""
import contextvars
import threading

import pytest

from _subproc import assert_ok, run_in_subprocess
from actors.greenlet import error, getcurrent, greenlet


def _park():
    return getcurrent().parent.switch("parked")


class ThreadWithTasklets:
    """A thread that creates tasklets, then waits until told to finish."""

    def __init__(self):
        self.ready = threading.Event()
        self.finish = threading.Event()
        self.result = {}
        self.thread = threading.Thread(target=self._main)
        self.thread.start()
        assert self.ready.wait(10)

    def _main(self):
        self.result["main"] = getcurrent()
        suspended = greenlet(_park)
        self.result["parked"] = suspended.switch()
        self.result["suspended"] = suspended
        self.result["unstarted"] = greenlet(_park)
        self.ready.set()
        self.finish.wait(10)
        # the suspended tasklet is still usable from its own thread
        self.result["resumed"] = suspended.switch("own thread")

    def stop(self):
        self.finish.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def other_thread():
    t = ThreadWithTasklets()
    yield t
    if t.thread.is_alive():
        t.stop()


def test_each_thread_has_its_own_main_tasklet(other_thread):
    theirs = other_thread.result["main"]
    ours = getcurrent()
    assert theirs is not ours
    assert theirs.parent is None and ours.parent is None
    assert theirs and not theirs.dead
    assert other_thread.result["parked"] == "parked"
    assert other_thread.result["suspended"].parent is theirs


def test_switch_to_suspended_tasklet_of_live_thread_is_error(other_thread):
    g = other_thread.result["suspended"]
    with pytest.raises(error):
        g.switch()
    with pytest.raises(error):
        g.switch("with", "args")
    with pytest.raises(error):
        g.throw(ValueError)
    assert g and not g.dead
    other_thread.stop()
    assert other_thread.result["resumed"] == "own thread"
    assert g.dead


def test_switch_to_unstarted_tasklet_of_other_thread_is_error(other_thread):
    g = other_thread.result["unstarted"]
    with pytest.raises(error):
        g.switch()
    assert not g.dead


def test_switch_to_main_tasklet_of_other_thread_is_error(other_thread):
    with pytest.raises(error):
        other_thread.result["main"].switch()


def test_switch_to_tasklet_of_exited_thread_is_error(other_thread):
    other_thread.stop()
    # a new suspended tasklet left behind by a thread that has exited
    box = {}

    def thread_main():
        g = greenlet(_park)
        g.switch()
        box["g"] = g

    t = threading.Thread(target=thread_main)
    t.start()
    t.join()
    with pytest.raises(error):
        box["g"].switch()
    with pytest.raises(error):
        box["g"].throw()
    del box


def test_setting_parent_of_started_tasklet_across_threads_is_refused(
        other_thread):
    g = other_thread.result["suspended"]
    # greenlet raises ValueError ("parent cannot be on a different thread")
    with pytest.raises((ValueError, error)):
        g.parent = getcurrent()
    assert g.parent is other_thread.result["main"]

    mine = greenlet(_park)
    mine.switch()
    with pytest.raises((ValueError, error)):
        mine.parent = other_thread.result["main"]
    assert mine.parent is getcurrent()
    assert mine.switch() == ()


def test_foreign_parent_of_unstarted_tasklet_never_switches_threads(
        other_thread):
    """greenlet accepts the assignment and refuses at switch time; a native
    core may refuse it at once.  Either way: an error, never a switch."""
    ran = []
    g = greenlet(lambda: ran.append(threading.get_ident()))
    try:
        g.parent = other_thread.result["main"]
    except (ValueError, error):
        return
    with pytest.raises(error):
        g.switch()
    assert ran == []


def test_setting_context_across_threads_is_refused_or_harmless(other_thread):
    g = other_thread.result["suspended"]
    try:
        g.gr_context = contextvars.Context()
    except (ValueError, error):
        pass
    other_thread.stop()
    assert other_thread.result["resumed"] == "own thread"


def test_tasklets_in_concurrent_threads():
    results = {}
    barrier = threading.Barrier(4)

    def worker(n):
        def run(k):
            total = 0
            while k is not None:
                total += k
                k = getcurrent().parent.switch(total)
            return total

        tasklets = [greenlet(run) for _ in range(10)]
        barrier.wait()
        sums = [0] * 10
        for i in range(2000):
            j = (i * 7 + n) % 10
            sums[j] = tasklets[j].switch(i)
        final = [g.switch(None) for g in tasklets]
        results[n] = (final, sums, getcurrent())

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for n, (final, sums, main) in results.items():
        expected = [0] * 10
        for i in range(2000):
            expected[(i * 7 + n) % 10] += i
        assert final == expected
        assert sums == expected
    mains = {id(main) for _, _, main in results.values()}
    assert len(mains) == 4 and id(getcurrent()) not in mains


def test_thread_exit_with_suspended_tasklets_in_subprocess():
    proc = run_in_subprocess("""
        import gc, threading
        from actors.greenlet import getcurrent, greenlet
        kept = []
        def thread_main():
            def run():
                try:
                    getcurrent().parent.switch()
                finally:
                    pass
            for _ in range(10):
                g = greenlet(run); g.switch(); kept.append(g)
            # and some that are dropped while the thread is alive
            for _ in range(10):
                g = greenlet(run); g.switch()
            del g
        for _ in range(20):
            t = threading.Thread(target=thread_main); t.start(); t.join()
        gc.collect()
        print(len(kept), all(bool(g) for g in kept))
        del kept[:]
        gc.collect()
        print("ok")
    """)
    assert_ok(proc, "200 True\nok\n")


def test_tasklet_dropped_in_main_while_its_thread_lives_in_subprocess():
    proc = run_in_subprocess("""
        import gc, threading
        from actors.greenlet import getcurrent, greenlet
        box = {}
        ready, done = threading.Event(), threading.Event()
        log = []
        def thread_main():
            def run():
                try:
                    getcurrent().parent.switch()
                finally:
                    log.append(threading.current_thread().name)
            g = greenlet(run); g.switch(); box["g"] = g
            del g
            ready.set()
            done.wait(10)
            # switching here lets a backend finish deferred kills
            for _ in range(3):
                greenlet(lambda: None).switch()
        t = threading.Thread(target=thread_main, name="owner")
        t.start(); ready.wait(10)
        del box["g"]          # last reference dropped in the wrong thread
        gc.collect()
        done.set(); t.join()
        gc.collect()
        print("ok", log in ([], ["owner"]))
    """)
    assert_ok(proc, "ok True\n")


def test_ended_threads_main_tasklet_freed_without_collection_in_subprocess():
    # greenlet frees a dead thread's main greenlet with its last reference;
    # code that counts them (greenlet's own tests do) must not wait for gc.
    proc = run_in_subprocess("""
        import gc, threading, weakref
        from actors.greenlet import error, getcurrent, greenlet
        gc.disable()
        refs, kept = [], []
        def thread_main(keep):
            main = getcurrent()
            refs.append(weakref.ref(main))
            g = greenlet(lambda: getcurrent().parent.switch())
            g.switch()
            if keep:
                kept.extend((main, g))
        for keep in (False, True):
            t = threading.Thread(target=thread_main, args=(keep,))
            t.start(); t.join()
        print(refs[0]() is None)             # nothing held it: gone
        main, g = kept
        # greenlet itself marks it dead from the thread's C++ thread-local
        # destructor, which can run after join() returned: wait for that
        # there (ours is dead at once).
        import actors, time
        deadline = time.monotonic() + 10
        while actors.BACKEND == "greenlet" and not main.dead and \
                time.monotonic() < deadline:
            time.sleep(0.01)
        # held from outside: the main tasklet of an ended thread, and its
        # suspended child, which cannot run; its frame chain ends in itself
        # (3.15: not in the ended thread's freed base frame)
        print(main.dead, main.gr_frame, g.parent is main, g.gr_frame.f_back)
        try:
            g.switch()
        except error:
            print("switch refused")
    """)
    assert_ok(proc, "True\nTrue None True None\nswitch refused\n")


def test_frame_taken_before_its_thread_ended_walks_safely_in_subprocess():
    # A frame object of a suspended tasklet, taken while its thread lived
    # and walked (f_back, tracebacks) after the thread ended and a few more
    # threads reused the memory.  On 3.15 the chain once ended in the dead
    # thread's freed base frame (the debug build crashed here).
    proc = run_in_subprocess("""
        import gc, threading, traceback
        from actors.greenlet import getcurrent, greenlet
        keep = {}
        def inner(main):
            main.switch("parked")
        def thread_main():
            main = getcurrent()
            g = greenlet(lambda: inner(main))
            assert g.switch() == "parked"
            keep["g"], keep["f"] = g, g.gr_frame
        t = threading.Thread(target=thread_main); t.start(); t.join()
        del t
        for _ in range(4):
            t = threading.Thread(target=lambda: [bytearray(64)
                                                 for _ in range(1000)])
            t.start(); t.join()
        gc.collect()
        f, names = keep["f"], []
        while f is not None:
            names.append(f.f_code.co_name)
            f = f.f_back
        print(names, [s.name for s in traceback.extract_stack(keep["f"])])
        top = keep["g"].gr_frame
        print(keep["g"].dead, top is None or top.f_code.co_name == "inner")
    """)
    assert_ok(proc, "['inner', '<lambda>'] ['<lambda>', 'inner']\nTrue True\n")
