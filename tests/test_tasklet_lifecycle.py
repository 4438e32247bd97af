"""Lifecycle: states, gr_frame, run, parent, subclassing, weakrefs, GC."""
import gc
import sys
import weakref

import pytest

from actors.greenlet import GreenletExit, getcurrent, greenlet


def _park():
    getcurrent().parent.switch("parked")
    return "finished"


# -- states ------------------------------------------------------------------

def test_states_through_a_lifetime():
    states = []

    def run():
        states.append(("running", bool(g), g.dead))
        getcurrent().parent.switch()

    g = greenlet(run)
    assert not g and not g.dead            # not started
    g.switch()
    assert g and not g.dead                # suspended
    assert g.switch() is None
    assert not g and g.dead                # finished
    assert states == [("running", True, False)]


def test_dead_after_exception():
    g = greenlet(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        g.switch()
    assert g.dead and not g


# -- gr_frame ----------------------------------------------------------------

def test_gr_frame_none_before_start_and_after_death():
    g = greenlet(_park)
    assert g.gr_frame is None
    g.switch()
    assert g.gr_frame is not None
    g.switch()
    assert g.gr_frame is None


def test_gr_frame_is_run_frame_while_suspended():
    def run():
        local_value = "visible"     # noqa: F841 - read through the frame
        getcurrent().parent.switch()

    g = greenlet(run)
    g.switch()
    frame = g.gr_frame
    assert frame.f_code is run.__code__
    assert frame.f_locals["local_value"] == "visible"
    g.switch()
    assert g.dead


def test_gr_frame_is_innermost_frame_with_run_below():
    def inner():
        getcurrent().parent.switch()

    def run():
        inner()

    g = greenlet(run)
    g.switch()
    frame = g.gr_frame
    assert frame.f_code is inner.__code__
    codes = []
    while frame is not None:
        codes.append(frame.f_code)
        frame = frame.f_back
    assert run.__code__ in codes
    # nothing of main's stack (this test function) is in the tasklet's chain
    assert sys._getframe().f_code not in codes
    g.switch()


def test_gr_frame_none_while_running():
    seen = []
    g = greenlet(lambda: seen.append(g.gr_frame))
    g.switch()
    assert seen == [None]


# -- run ---------------------------------------------------------------------

def test_run_attribute():
    def f():
        return 1

    g = greenlet(f)
    assert g.run is f
    g.run = lambda: 2
    assert g.switch() == 2


def test_run_unavailable_after_start():
    g = greenlet(_park)
    g.switch()
    with pytest.raises(AttributeError):
        g.run
    with pytest.raises(AttributeError):
        g.run = _park
    assert g.switch() == "finished"


def test_no_run_is_attributeerror_on_switch():
    g = greenlet()
    with pytest.raises(AttributeError):
        g.switch()
    assert not g.dead or not g     # did not crash; state is sane


# -- parent ------------------------------------------------------------------

def test_parent_settable_and_used_for_return():
    catcher_log = []

    def catcher():
        value = getcurrent().parent.switch("catcher ready")
        catcher_log.append(value)
        return "catcher done"

    c = greenlet(catcher)
    assert c.switch() == "catcher ready"
    g = greenlet(lambda: "to catcher")
    g.parent = c
    assert g.parent is c
    # g returns into c (its parent), c then returns into main
    assert g.switch() == "catcher done"
    assert catcher_log == ["to catcher"]


def test_parent_cycles_refused():
    a = greenlet(_park)
    b = greenlet(_park, parent=a)
    c = greenlet(_park, parent=b)
    with pytest.raises(ValueError):
        a.parent = c
    with pytest.raises(ValueError):
        a.parent = a
    assert a.parent is getcurrent()       # unchanged
    # a main tasklet has no parent at all (greenlet: AttributeError)
    with pytest.raises((ValueError, AttributeError)):
        getcurrent().parent = a
    assert getcurrent().parent is None


@pytest.mark.parametrize("bad", [None, 1, "parent", object()])
def test_parent_must_be_a_tasklet(bad):
    g = greenlet(_park)
    with pytest.raises(TypeError):
        g.parent = bad
    assert g.parent is getcurrent()


def test_parent_cannot_be_deleted():
    g = greenlet(_park)
    with pytest.raises(AttributeError):
        del g.parent
    assert g.parent is getcurrent()


def test_parent_must_be_a_tasklet_in_constructor():
    with pytest.raises(TypeError):
        greenlet(_park, parent=42)


# -- subclassing -------------------------------------------------------------

class Doubler(greenlet):
    def __init__(self, factor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.factor = factor
        self.seen = []

    def run(self, x):
        self.seen.append(getcurrent())
        y = getcurrent().parent.switch(x * self.factor)
        return y * self.factor


def test_subclass_with_run_method():
    d = Doubler(3)
    assert isinstance(d, greenlet)
    assert d.switch(2) == 6
    assert d.seen == [d]               # getcurrent() is the subclass instance
    assert d.switch(5) == 15
    assert d.dead


def test_subclass_instance_dict_and_parent():
    p = greenlet(_park)
    d = Doubler(2, parent=p)
    d.extra = "attr"
    assert d.parent is p and d.extra == "attr" and d.factor == 2


def test_subclass_run_method_receives_switch_arguments():
    class Sub(greenlet):
        def run(self, *args, **kwargs):
            return ("method", self is getcurrent(), args, kwargs)

    assert Sub().switch(1, k=2) == ("method", True, (1,), {"k": 2})


# -- weak references ---------------------------------------------------------

def test_weakref_to_unstarted_tasklet():
    g = greenlet(_park)
    ref = weakref.ref(g)
    assert ref() is g
    del g
    gc.collect()
    assert ref() is None


def test_weakref_to_dead_tasklet():
    g = greenlet(lambda: 1)
    g.switch()
    ref = weakref.ref(g)
    assert ref() is g and ref().dead
    del g
    assert ref() is None


def test_weakref_to_main_and_subclass():
    main = getcurrent()
    assert weakref.ref(main)() is main
    d = Doubler(1)
    proxy = weakref.proxy(d)
    assert proxy.factor == 1


def test_weakref_callback_fires_on_collection_of_suspended_tasklet():
    fired = []
    g = greenlet(_park)
    g.switch()
    ref = weakref.ref(g, fired.append)
    del g
    gc.collect()
    assert ref() is None and fired == [ref]


# -- garbage collection of suspended tasklets --------------------------------

def _cleanup_recorder(log):
    def run():
        try:
            getcurrent().parent.switch("parked")
        except GreenletExit as exc:
            log.append(("exit", type(exc)))
            raise
        finally:
            log.append(("finally", getcurrent() is not None))
    return run


def test_suspended_tasklet_collected_gets_exit_and_runs_finally():
    log = []
    g = greenlet(_cleanup_recorder(log))
    assert g.switch() == "parked"
    del g
    gc.collect()
    assert log == [("exit", GreenletExit), ("finally", True)]


def test_suspended_tasklet_collected_from_a_garbage_cycle():
    log = []
    g = greenlet(_cleanup_recorder(log))
    g.switch()
    cycle = [g]
    cycle.append(cycle)
    del g, cycle
    gc.collect()
    assert log == [("exit", GreenletExit), ("finally", True)]


def test_collected_tasklet_runs_cleanup_as_itself():
    where = []

    def run():
        try:
            getcurrent().parent.switch()
        finally:
            where.append(getcurrent())

    g = greenlet(run)
    g.switch()
    gid = id(g)
    del g
    gc.collect()
    assert len(where) == 1 and id(where[0]) == gid


def test_many_suspended_tasklets_collected():
    log = []
    tasklets = [greenlet(_cleanup_recorder(log)) for _ in range(2000)]
    for g in tasklets:
        g.switch()
    del tasklets, g
    gc.collect()
    assert log.count(("finally", True)) == 2000


def test_suspended_nested_frames_all_unwind_on_collection():
    log = []

    def level(n):
        try:
            if n == 0:
                getcurrent().parent.switch()
            else:
                level(n - 1)
        finally:
            log.append(n)

    g = greenlet(lambda: level(30))
    g.switch()
    del g
    gc.collect()
    assert log == list(range(31))


def test_unstarted_tasklet_collected_without_running():
    ran = []
    g = greenlet(lambda: ran.append(1))
    del g
    gc.collect()
    assert ran == []


def test_locals_released_when_tasklet_finishes():
    class Obj:
        pass

    refs = []

    def run():
        obj = Obj()
        refs.append(weakref.ref(obj))
        getcurrent().parent.switch()
        return None

    g = greenlet(run)
    g.switch()
    assert refs[0]() is not None      # alive while the tasklet is parked
    g.switch()
    assert refs[0]() is None          # freed with the finished frame
    assert g.dead


def test_locals_released_when_suspended_tasklet_collected():
    class Obj:
        pass

    refs = []

    def run():
        obj = Obj()
        refs.append(weakref.ref(obj))
        getcurrent().parent.switch()

    g = greenlet(run)
    g.switch()
    del g
    gc.collect()
    assert refs[0]() is None


def test_no_refcount_leak_on_tasklet_objects():
    def run():
        getcurrent().parent.switch()

    before = sys.getrefcount(run)
    for _ in range(500):
        g = greenlet(run)
        g.switch()
        g.switch()
    del g
    gc.collect()
    assert sys.getrefcount(run) == before


def test_tasklet_dropping_its_own_last_reference_then_parking():
    log = []
    holder = []

    def run():
        try:
            holder.clear()          # only getcurrent() keeps us alive now
            getcurrent().parent.switch("parked")
        finally:
            log.append("finally")

    holder.append(greenlet(run))
    assert holder[0].switch() == "parked"
    gc.collect()
    assert log == ["finally"]


def test_gc_collect_inside_a_tasklet_kills_other_parked_tasklets():
    log = []

    def park(i):
        try:
            getcurrent().parent.switch()
        finally:
            log.append(i)

    def collector():
        for i in range(100):
            greenlet(park).switch(i)      # parked, then unreferenced
        gc.collect()
        return sorted(log)

    assert greenlet(collector).switch() == list(range(100))
