"""actors.greenlet behaves as greenlet 3.x where a caller can see it (issue
12): dead switches and throws, module attributes, exception names, repr,
errors for invalid use, __dict__ assignment, start-time re-entrancy.

Every test here also runs on the greenlet backend (where actors.greenlet
re-exports the greenlet package), which checks the expectations against
real greenlet."""
import contextvars
import pickle
import re
import sys
import threading
import time
import traceback

import pytest

import actors
from _subproc import describe, run_in_subprocess
from actors import greenlet as gmod
from actors.greenlet import GreenletExit, error, getcurrent, greenlet


class Boom(Exception):
    pass


# -- dead switch and throw ----------------------------------------------------

def test_switch_to_dead_goes_to_first_live_parent():
    main = getcurrent()
    inner = []

    def middle_run():
        child = greenlet(lambda: "child done")
        assert child.switch() == "child done"
        inner.append(child)
        return main.switch("middle parked")

    middle = greenlet(middle_run)
    assert middle.switch() == "middle parked"
    child = inner[0]
    assert child.dead
    # child's parent (middle) is alive and suspended: it gets the value
    assert child.switch("to middle") == "to middle"   # middle returns it
    assert middle.dead
    # now both dead: the value goes on up to us
    assert child.switch("up") == "up"


def test_switch_to_dead_starts_an_unstarted_parent():
    seen = []
    parent = greenlet(lambda *a: seen.append(a) or "parent done")
    g = greenlet(lambda: "g done")
    assert g.switch() == "g done"
    g.parent = parent
    assert g.switch(1, 2) == "parent done"
    assert seen == [(1, 2)]


def test_cancelled_before_start_then_switched_to():
    """eventlet's hub: a green thread killed before it started is switched
    to by its timer; the switch returns to the hub, no error."""
    ran = []
    hub = getcurrent()
    g = greenlet(lambda: ran.append("ran"), parent=hub)
    assert isinstance(g.throw(), GreenletExit)    # cancelled, never ran
    assert g.dead
    assert g.switch("timer fired") == "timer fired"
    assert ran == []


def test_throw_into_dead_raises_in_its_live_parent():
    main = getcurrent()

    def middle_run():
        child = greenlet(lambda: None)
        child.switch()
        try:
            main.switch(child)
        except Boom:
            return "middle caught"

    middle = greenlet(middle_run)
    child = middle.switch()
    assert child.dead
    assert child.throw(Boom) == "middle caught"
    assert middle.dead
    exit = GreenletExit("bye")
    assert child.throw(exit) is exit


# -- module and exceptions ----------------------------------------------------

def test_module_attributes():
    for name in ("GREENLET_USE_GC", "GREENLET_USE_TRACING",
                 "GREENLET_USE_CONTEXT_VARS",
                 "GREENLET_USE_STANDARD_THREADING"):
        assert getattr(gmod, name) is True, name
    assert isinstance(gmod.CLOCKS_PER_SEC, int) and gmod.CLOCKS_PER_SEC > 0
    major = int(gmod.__version__.split(".")[0])
    assert major >= 3
    for name in ("greenlet", "getcurrent", "GreenletExit", "error",
                 "settrace", "gettrace"):
        assert hasattr(gmod, name), name


def test_exception_names_are_greenlets():
    assert GreenletExit is actors.TaskletExit
    assert error is actors.TaskletError
    assert GreenletExit.__name__ == "GreenletExit"
    assert error.__name__ == "error"
    assert repr(GreenletExit("x")) == "GreenletExit('x')"
    assert repr(error("x")) == "error('x')"
    assert greenlet.GreenletExit is GreenletExit
    assert greenlet.error is error
    text = "".join(traceback.format_exception_only(
        GreenletExit, GreenletExit("stop")))
    assert re.match(r"^(\w+\.)*GreenletExit: stop$", text.strip()), text
    # the module it names has it under that name (pickle finds it there)
    mod = sys.modules[GreenletExit.__module__]
    assert getattr(mod, "GreenletExit") is GreenletExit
    assert getattr(sys.modules[error.__module__], "error") is error
    for exc in (GreenletExit("x"), error("y")):
        again = pickle.loads(pickle.dumps(exc))
        assert type(again) is type(exc) and again.args == exc.args


# -- repr -----------------------------------------------------------------------

HEAD = r"^<\S+ object at 0x[0-9a-f]+ \(otid=0x(?:[0-9a-f]+|\(nil\))\)"


def test_repr_states():
    main = getcurrent()
    assert re.match(HEAD + " current active started main>$", repr(main)), \
        repr(main)
    g = greenlet(lambda: getcurrent().parent.switch(repr(main)))
    assert re.match(HEAD + " pending>$", repr(g)), repr(g)
    seen = g.switch()
    assert re.match(HEAD + " suspended active started main>$", seen), seen
    assert re.match(HEAD + " suspended active started>$", repr(g)), repr(g)
    g.switch()
    assert re.match(HEAD + " dead>$", repr(g)), repr(g)


def test_repr_of_main_from_another_thread_and_after_it_ended():
    main = getcurrent()
    out = {}

    def other():
        out["our main"] = repr(main)
        out["their main"] = getcurrent()
        out["their repr"] = repr(getcurrent())

    t = threading.Thread(target=other)
    t.start()
    t.join(10)
    assert re.match(HEAD + " suspended active started main>$",
                    out["our main"]), out
    assert re.match(HEAD + " current active started main>$",
                    out["their repr"]), out
    theirs = out["their main"]
    # greenlet notices the thread's end a moment later (actors at once)
    deadline = time.monotonic() + 5
    while not theirs.dead and time.monotonic() < deadline:
        time.sleep(0.001)
    assert theirs.dead
    assert re.match(HEAD + r" \(thread exited\) dead>$", repr(theirs)), \
        repr(theirs)


def test_repr_names_the_subclass():
    class MyGreenlet(greenlet):
        pass
    assert repr(MyGreenlet()).startswith("<MyGreenlet object at 0x")


# -- invalid use: greenlet's types and messages ------------------------------

def test_parent_errors():
    g = greenlet(lambda: None)
    for bad in (None, 1, "42"):
        with pytest.raises(TypeError) as exc:
            g.parent = bad
        assert str(exc.value) == (
            "GreenletChecker: Expected any type of greenlet, not "
            + type(bad).__name__)
    with pytest.raises(AttributeError) as exc:
        del g.parent
    assert str(exc.value) == "can't delete attribute"
    with pytest.raises(AttributeError) as exc:
        del getcurrent().parent
    assert str(exc.value) == "can't delete attribute"
    with pytest.raises(AttributeError) as exc:
        getcurrent().parent = getcurrent()
    assert str(exc.value) == "cannot set the parent of a main greenlet"
    with pytest.raises(ValueError) as exc:
        g.parent = g
    assert str(exc.value) == "cyclic parent chain"


def test_context_errors():
    g = greenlet(lambda: None)
    for bad in (1, {}, contextvars.copy_context):
        with pytest.raises(TypeError) as exc:
            g.gr_context = bad
        assert str(exc.value) == (
            "greenlet context must be a contextvars.Context or None")
    main = getcurrent()
    got = {}

    def other():
        for what in ("get", "set"):
            try:
                if what == "get":
                    main.gr_context
                else:
                    main.gr_context = contextvars.Context()
            except ValueError as e:
                got[what] = str(e)

    t = threading.Thread(target=other)
    t.start()
    t.join(10)
    assert got == {
        "get": "cannot get context of a greenlet that is running in a "
               "different thread",
        "set": "cannot set context of a greenlet that is running in a "
               "different thread"}


def test_dict_assignment():
    g = greenlet(lambda: setattr(getcurrent(), "test", 42))
    assert g.__dict__ == {}
    g.switch()
    assert g.__dict__ == {"test": 42}
    g.__dict__ = g.__dict__
    assert g.test == 42
    g.__dict__ = {"other": 1}
    assert g.other == 1 and not hasattr(g, "test")
    with pytest.raises(TypeError) as exc:
        g.__dict__ = [("a", 1)]
    assert str(exc.value) == "__dict__ must be a dictionary"
    with pytest.raises(TypeError) as exc:
        del g.__dict__
    assert str(exc.value) == "__dict__ may not be deleted"


# -- start-time re-entrancy, in greenlet's order --------------------------------
# A subclass whose run lookup runs Python code that switches: greenlet looks
# run up in the caller, before the new greenlet exists.  Crash-prone if
# wrong, so each runs in a child process.

def _check(code):
    proc = run_in_subprocess(code, timeout=60)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout


def test_recursive_startup():
    out = _check("""
        from actors.greenlet import greenlet

        class Convoluted(greenlet):
            def __init__(self):
                greenlet.__init__(self)
                self.count = 0

            def __getattribute__(self, name):
                if name == "run" and self.count == 0:
                    self.count = 1
                    self.switch(43)
                return greenlet.__getattribute__(self, name)

            def run(self, value):
                while True:
                    self.parent.switch(value)

        g = Convoluted()
        print("RESULT", g.switch(42))
        g.throw()
        print("DEAD", g.dead)
    """)
    assert "RESULT 43" in out and "DEAD True" in out


def test_unused_run_dropped_inside_the_new_tasklet():
    """A run given but replaced by __getattribute__ is dropped after the
    start, inside the tasklet: its finalizer's switch to main returns from
    main's g.switch(), and the next switch enters the looked-up run."""
    out = _check("""
        from actors.greenlet import getcurrent, greenlet

        main = getcurrent()
        results = []

        class RunCallable:
            def __del__(self):
                results.append(("RunCallable", "__del__"))
                main.switch("from RunCallable")

        class G(greenlet):
            def __getattribute__(self, name):
                if name == "run":
                    results.append(("G.__getattribute__", "run"))
                    return run_func
                return object.__getattribute__(self, name)

        def run_func():
            results.append(("run_func", "enter"))

        g = G(RunCallable())
        results.append(("main: g.switch()", g.switch()))
        g.switch()
        print("RESULTS", results)
    """)
    assert ("RESULTS [('G.__getattribute__', 'run'), ('RunCallable', "
            "'__del__'), ('main: g.switch()', 'from RunCallable'), "
            "('run_func', 'enter')]") in out, out


def test_run_lookup_error_raises_in_the_caller():
    class NoRun(greenlet):
        def __getattribute__(self, name):
            if name == "run":
                raise Boom("no run")
            return greenlet.__getattribute__(self, name)

    g = NoRun(parent=greenlet(lambda *a: "other parent"))
    with pytest.raises(Boom):
        g.switch()
    assert not g.dead


def test_failed_run_lookup_leaves_it_unstarted():
    """A parent whose run cannot be looked up is never started: each
    switch that falls through to it tries again and raises again."""
    class Parent(greenlet):
        def __getattribute__(self, name):
            if name == "run":
                raise Boom("no run")
            return greenlet.__getattribute__(self, name)

    parent = Parent()
    seen = []
    child = greenlet(lambda: seen.append(42), parent)
    with pytest.raises(Boom):
        child.switch()          # child ends; starting its parent fails
    assert seen == [42] and child.dead and not parent.dead
    with pytest.raises(Boom):
        child.switch()          # dead: to its parent, which fails again
    assert seen == [42]


@pytest.mark.parametrize("how", ["switch", "throw", "child ends"])
def test_a_subclass_run_comes_before_the_run_given_to_init(how):
    """run is looked up as an attribute at the start, so a subclass's own
    run method beats the one given to __init__, even None (gevent's Hub
    calls greenlet.__init__(self, None, None) and defines run())."""
    class Hub(greenlet):
        def __init__(self):
            greenlet.__init__(self, None, None)

        def run(self, *args):
            return ("hub ran", args)

    assert Hub().run.__func__ is Hub.run          # the attribute, as ever
    hub = Hub()
    if how == "switch":
        assert hub.switch(1) == ("hub ran", (1,))
    elif how == "throw":
        with pytest.raises(Boom):       # thrown in before the start: the
            hub.throw(Boom)             # lookup happens, nothing runs
    else:
        child = greenlet(lambda: 5, parent=hub)
        assert child.switch() == ("hub ran", (5,))
    assert hub.dead

    class GivenCallable(greenlet):
        def run(self):
            return "method"
    assert GivenCallable(lambda: "given").switch() == "method"
    # A plain greenlet has no run of its own: the given one runs.
    assert greenlet(lambda: "given").switch() == "given"


# -- threads ----------------------------------------------------------------

def test_unstarted_takes_its_parents_thread():
    """greenlet lets an unstarted greenlet take a parent of another thread;
    it then belongs to that thread, and a switch from here is refused with
    greenlet's message."""
    box = {}
    ready, done = threading.Event(), threading.Event()

    def other():
        box["main"] = getcurrent()
        ready.set()
        done.wait(10)

    t = threading.Thread(target=other)
    t.start()
    ready.wait(10)
    try:
        ran = []
        g = greenlet(lambda: ran.append(1))
        g.parent = box["main"]
        with pytest.raises(error) as exc:
            g.switch()
        assert "Cannot switch to a different thread" in str(exc.value)
        assert "Current" in str(exc.value) and "Expected" in str(exc.value)
        assert ran == []
    finally:
        done.set()
        t.join(10)
    # greenlet notices the thread's end a moment later (actors at once)
    deadline = time.monotonic() + 5
    while True:
        with pytest.raises(error) as exc:
            g.switch()
        if "exited" in str(exc.value) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert str(exc.value) == ("cannot switch to a different thread (which "
                              "happens to have exited)")
    assert ran == []


def test_tracer_switching_away_keeps_what_the_switch_delivers():
    """A tracer that switches elsewhere during a tasklet's start: the
    tasklet still gets the arguments its own switch carried (greenlet takes
    them before calling the tracer)."""
    out = _check("""
        from actors.greenlet import getcurrent, greenlet, settrace

        results = []
        pending = [True]

        def tracer(event, args):
            if pending[0]:
                pending[0] = False
                g2.switch("g2 from tracer")

        def g1_run(arg):
            results.append(("g1 arg", arg))
            return "g1 done"

        def g2_run(arg):
            results.append(("g2 arg", arg))
            getcurrent().parent.switch("from g2")
            return "g2 done"

        g1, g2 = greenlet(g1_run), greenlet(g2_run)
        settrace(tracer)
        results.append(("main", g1.switch("g1 from main")))
        results.append(("main", g1.switch("into the tracer")))
        settrace(None)
        results.append(("main", g2.switch()))
        print("RESULTS", results)
    """)
    assert ("RESULTS [('g2 arg', 'g2 from tracer'), ('main', 'from g2'), "
            "('g1 arg', 'g1 from main'), ('main', 'g1 done'), "
            "('main', 'g2 done')]") in out, out


# -- collected from inside the cycle collector ---------------------------------

@pytest.mark.parametrize("callbacks", ["kept", "cleared"])
@pytest.mark.parametrize("kind", ["Tasklet", "greenlet"])
def test_suspended_tasklet_in_a_cycle_and_the_collector_loop(kind, callbacks):
    # greenlet's test_gc.py::test_finalizer_crash, looped: the collector
    # clears a list that alone holds a suspended tasklet, whose kill runs
    # finalizers.  Switching into it from inside the collection (the
    # collector's list heads sit in its C frame, which the switch copies
    # over) segfaulted on the first iteration or so; the kill must wait
    # for the collection's end.
    # A program that clears gc.callbacks (where the core learns that a
    # collection runs) must not bring the crash back: its kills wait for
    # the next switch instead.
    proc = run_in_subprocess("""
        import gc, sys, weakref
        import actors
        from actors import greenlet
        kind, callbacks = %r, %r
        if kind == "Tasklet":
            make, current = actors.Tasklet, actors.getcurrent
        else:
            make, current = greenlet.greenlet, greenlet.getcurrent
        if callbacks == "cleared":
            gc.callbacks.clear()

        class object_with_finalizer(object):
            def __del__(self):
                pass

        exits, refs = [], []

        def once():
            array = []
            parent = current()

            def body():
                current().object = object_with_finalizer()
                try:
                    parent.switch()
                except greenlet.GreenletExit:
                    exits.append(1)
                finally:
                    del current().object

            g = make(body)
            g.array = array
            array.append(g)
            g.switch()
            refs.append(weakref.ref(g))
            del array
            del g
            current()
            gc.collect()

        gc.disable()
        for _ in range(300):
            once()
        make(lambda: None).switch()   # a switch runs what waits
        alive = sum(r() is not None for r in refs)
        print(len(exits), alive, gc.garbage)
    """ % (kind, callbacks), timeout=120)
    # The runtime's Tasklet is ended by a GreenletExit (its finally runs)
    # and freed.  greenlet, up to CPython 3.14, never collects a suspended
    # greenlet of a live thread (its cycle is kept, no exit), and the
    # drop-in's greenlet does the same; from 3.15 greenlet collects it too.
    # On the greenlet backend both kinds are greenlet's own type.
    collects = (kind == "Tasklet" and actors.BACKEND == "native") or \
        sys.version_info >= (3, 15)
    want = "300 0 []\n" if collects else "0 300 []\n"
    assert proc.returncode == 0 and proc.stdout == want, describe(proc)


# -- the type name and the shutdown guard --------------------------------------

def test_main_tasklet_is_a_greenlet_once_the_dropin_is_imported():
    # greenlet code checks type(getcurrent()).__name__ == 'greenlet'; the
    # runtime's own Tasklet keeps its name.
    proc = run_in_subprocess("""
        import threading
        import actors
        before = actors.getcurrent()
        from actors import greenlet
        main = greenlet.getcurrent()
        names = [type(main).__name__, main is before,
                 isinstance(main, actors.Tasklet),
                 type(greenlet.greenlet(lambda: 0)).__name__,
                 type(actors.Tasklet(lambda: 0)).__name__,
                 greenlet.greenlet.getcurrent() is main]
        t = threading.Thread(
            target=lambda: names.append(type(greenlet.getcurrent()).__name__))
        t.start()
        t.join()
        print(names)
    """)
    # On the greenlet backend actors.Tasklet is greenlet's own type.
    tasklet = "Tasklet" if actors.BACKEND == "native" else "greenlet"
    assert proc.returncode == 0 and proc.stdout == (
        "['greenlet', True, True, 'greenlet', %r, True, "
        "'greenlet']\n" % tasklet), describe(proc)


def test_getcurrent_refused_while_the_interpreter_finalizes():
    # greenlet's guard: a __del__ run by the collection in Py_FinalizeEx
    # gets RuntimeError from getcurrent(); an atexit handler still gets the
    # current greenlet.
    proc = run_in_subprocess("""
        import atexit, gc, os
        from actors import greenlet

        def at_exit():
            os.write(1, b"atexit " + type(greenlet.getcurrent()).__name__
                     .encode() + b"\\n")

        class Checker:
            def __del__(self):
                try:
                    greenlet.getcurrent()
                except RuntimeError as e:
                    os.write(1, b"del RuntimeError " + str(e).encode() + b"\\n")
                else:
                    os.write(1, b"del unguarded\\n")

        gc.disable()
        parked = []
        for _ in range(3):
            g = greenlet.greenlet(lambda: greenlet.getcurrent().parent.switch())
            g.switch()
            parked.append(g)
        atexit.register(at_exit)
        a = Checker()
        a.cycle = {"a": a}
        del a
    """)
    assert proc.returncode == 0 and proc.stdout == (
        "atexit greenlet\ndel RuntimeError greenlet is being finalized\n"), \
        describe(proc)
