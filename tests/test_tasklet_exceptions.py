"""Exceptions: propagation to the parent, throw(), exc_info isolation."""
import sys
import traceback

import pytest

import actors
from actors.greenlet import GreenletExit, error, getcurrent, greenlet


class Boom(Exception):
    pass


def _park_then_return_exception():
    """Park; return whatever exception gets thrown in (or 'no exception')."""
    try:
        getcurrent().parent.switch("parked")
    except BaseException as exc:   # noqa: B036 - the test wants all of them
        return exc
    return "no exception"


def _parked(run=_park_then_return_exception):
    g = greenlet(run)
    assert g.switch() == "parked"
    return g


def test_exception_in_run_propagates_to_parent_with_traceback():
    def run():
        raise Boom("inside")

    g = greenlet(run)
    with pytest.raises(Boom, match="inside") as info:
        g.switch()
    assert g.dead and not g
    names = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "run" in names


def test_exception_after_switches_propagates_to_parent():
    def run():
        getcurrent().parent.switch(1)
        getcurrent().parent.switch(2)
        raise Boom("third")

    g = greenlet(run)
    assert g.switch() == 1
    assert g.switch() == 2
    with pytest.raises(Boom, match="third"):
        g.switch()
    assert g.dead


def test_exception_goes_to_parent_not_to_switcher():
    main = getcurrent()
    g2 = greenlet(lambda: (_ for _ in ()).throw(Boom("g2")), parent=main)

    def first():
        try:
            g2.switch()
        except Boom:
            return "first caught it"    # must not happen
        return "first got no exception"

    g1 = greenlet(first)
    with pytest.raises(Boom, match="g2"):
        g1.switch()
    assert not g1.dead    # still parked in g2.switch()


def test_exception_goes_up_a_tasklet_parent_chain():
    def inner():
        raise Boom("inner")

    def outer():
        try:
            greenlet(inner).switch()      # parent: outer
        except Boom as exc:
            return "outer caught %s" % exc
        return "nothing"

    assert greenlet(outer).switch() == "outer caught inner"


def test_exception_skips_a_dead_parent():
    def child_run():
        getcurrent().parent.switch("child parked")
        raise Boom("orphan")

    def parent_run():
        child = greenlet(child_run)
        assert child.switch() == "child parked"
        return child

    p = greenlet(parent_run)
    child = p.switch()
    assert p.dead and child.parent is p
    with pytest.raises(Boom, match="orphan"):
        child.switch()      # p is dead: the exception reaches main


def test_return_value_skips_a_dead_parent():
    def child_run():
        getcurrent().parent.switch("child parked")
        return "orphan result"

    def parent_run():
        child = greenlet(child_run)
        child.switch()
        return child

    p = greenlet(parent_run)
    child = p.switch()
    assert child.switch() == "orphan result"


@pytest.mark.parametrize("exc_type", [SystemExit, KeyboardInterrupt])
def test_base_exceptions_propagate(exc_type):
    def run():
        raise exc_type("x")

    with pytest.raises(exc_type):
        greenlet(run).switch()


def test_raising_greenletexit_in_run_returns_it_to_parent():
    def run():
        raise GreenletExit("bye")

    g = greenlet(run)
    result = g.switch()
    assert isinstance(result, GreenletExit)
    assert result.args == ("bye",)
    assert g.dead


def test_throw_default_returns_the_exit_instance_when_uncaught():
    log = []

    def run():
        try:
            getcurrent().parent.switch("parked")
        finally:
            log.append("finally")

    g = _parked(run)
    result = g.throw()
    assert isinstance(result, GreenletExit)
    assert type(result) is GreenletExit
    assert log == ["finally"]
    assert g.dead


def test_throw_greenletexit_caught_by_tasklet_returns_its_value():
    def run():
        try:
            getcurrent().parent.switch("parked")
        except GreenletExit:
            return "cleaned up"

    g = _parked(run)
    assert g.throw() == "cleaned up"
    assert g.dead


def test_throw_greenletexit_instance():
    g = _parked()
    exc = GreenletExit("mine")
    assert g.throw(exc) is exc


def test_throw_exception_class_is_raised_in_tasklet():
    g = _parked()
    result = g.throw(Boom)
    assert type(result) is Boom
    assert g.dead


def test_throw_class_and_value():
    g = _parked()
    result = g.throw(Boom, "arg")
    assert type(result) is Boom and result.args == ("arg",)

    g = _parked()
    inst = Boom("inst")
    assert g.throw(Boom, inst) is inst


def test_throw_instance_is_the_same_object():
    g = _parked()
    exc = Boom("same")
    assert g.throw(exc) is exc


def test_throw_uncaught_is_raised_in_thrower():
    def run():
        getcurrent().parent.switch("parked")
        return "not reached"

    g = _parked(run)
    exc = Boom("through")
    with pytest.raises(Boom) as info:
        g.throw(exc)
    assert info.value is exc
    assert g.dead


def test_throw_with_traceback_keeps_it():
    def make_tb():
        try:
            raise Boom("tb source")
        except Boom as e:
            return e.__traceback__

    tb = make_tb()
    g = _parked()
    result = g.throw(Boom, Boom("with tb"), tb)
    names = [f.name for f in traceback.extract_tb(result.__traceback__)]
    assert "make_tb" in names
    assert "_park_then_return_exception" in names


def test_tasklet_can_switch_back_after_catching_throw():
    def run():
        while True:
            try:
                getcurrent().parent.switch("waiting")
            except Boom as exc:
                getcurrent().parent.switch("handled %s" % exc)

    g = greenlet(run)
    g.switch()
    assert g.throw(Boom("one")) == "handled one"
    assert g.switch() == "waiting"
    assert g.throw(Boom("two")) == "handled two"
    assert not g.dead


@pytest.mark.parametrize("args", [
    (1,),
    ("a string",),
    (None,),
    (int,),                      # a class, but not an exception
    (object(),),
    (Boom("x"), "y"),            # instance with a separate value
    (Boom, None, "not a tb"),
    (Boom, Boom("x"), 42),
], ids=["int", "str", "None", "non-exc-class", "object", "instance+value",
        "bad-tb-str", "bad-tb-int"])
def test_throw_non_exceptions_is_typeerror_and_harmless(args):
    g = _parked()
    with pytest.raises(TypeError):
        g.throw(*args)
    # nothing was switched: the tasklet is intact and still parked
    assert not g.dead and g
    assert getcurrent().parent is None
    assert g.switch() == "no exception"


def test_throw_into_unstarted_tasklet_kills_it_without_running():
    ran = []
    g = greenlet(lambda: ran.append("ran"))
    result = g.throw()
    assert isinstance(result, GreenletExit)
    assert g.dead and ran == []

    g = greenlet(lambda: ran.append("ran"))
    with pytest.raises(Boom):
        g.throw(Boom)
    assert g.dead and ran == []


def test_switch_to_dead_tasklet(backend):
    """Switching to a dead tasklet passes the value on to its parent, as
    greenlet does (event loops switch into cancelled green threads): we are
    the parent, so the switch returns its own arguments."""
    g = greenlet(lambda: "done")
    assert g.switch() == "done"
    assert g.dead
    assert g.switch(7) == 7
    assert g.switch(1, k=2) == ((1,), {"k": 2})
    assert g.dead


def test_throw_to_dead_tasklet(backend):
    """throw() into a dead tasklet raises the exception in its parent (the
    caller here); a GreenletExit arrives there as a value."""
    g = greenlet(lambda: "done")
    g.switch()
    with pytest.raises(Boom):
        g.throw(Boom)
    assert isinstance(g.throw(), GreenletExit)
    assert g.dead


def test_exc_info_of_parent_is_not_visible_in_tasklet():
    seen = []

    def run():
        seen.append(sys.exc_info())
        getcurrent().parent.switch()
        seen.append(sys.exc_info())

    g = greenlet(run)
    try:
        raise KeyError("main's")
    except KeyError:
        g.switch()
        assert sys.exc_info()[0] is KeyError
        g.switch()
        assert sys.exc_info()[0] is KeyError
    assert seen == [(None, None, None), (None, None, None)]


def test_exc_info_of_tasklet_is_not_visible_in_parent_and_survives():
    seen = []

    def run():
        try:
            raise ValueError("tasklet's")
        except ValueError:
            getcurrent().parent.switch("inside except")
            seen.append(sys.exc_info()[0])
            try:
                raise
            except ValueError as exc:
                seen.append(str(exc))
        seen.append(sys.exc_info())

    g = greenlet(run)
    assert g.switch() == "inside except"
    assert sys.exc_info() == (None, None, None)
    try:
        raise KeyError("main's")
    except KeyError:
        g.switch()
        assert sys.exc_info()[0] is KeyError
    assert seen == [ValueError, "tasklet's", (None, None, None)]


def test_exc_info_isolated_between_two_tasklets():
    seen = {}

    def make(exc_type, name):
        def run():
            try:
                raise exc_type(name)
            except exc_type:
                getcurrent().parent.switch()
                seen[name] = sys.exc_info()[1].args[0]
        return run

    a = greenlet(make(KeyError, "a"))
    b = greenlet(make(IndexError, "b"))
    a.switch()
    b.switch()
    a.switch()
    b.switch()
    assert seen == {"a": "a", "b": "b"}


def test_exception_context_does_not_leak_across_tasklets():
    def run():
        raise Boom("fresh")

    try:
        raise KeyError("main is handling this")
    except KeyError:
        with pytest.raises(Boom) as info:
            greenlet(run).switch()
    assert info.value.__context__ is None


def test_error_class_is_exported_and_is_backend_error():
    assert error is actors.TaskletError
    assert GreenletExit is actors.TaskletExit


def test_traceback_shows_only_python_frames():
    """Like greenlet: the switch machinery adds no frames of its own."""
    def run():
        raise Boom("tb")

    try:
        greenlet(run).switch()
    except Boom as exc:
        names = [f.name for f in traceback.extract_tb(exc.__traceback__)]
    assert names == ["test_traceback_shows_only_python_frames", "run"]


def test_throw_from_tasklet_into_its_parent():
    def run():
        getcurrent().parent.throw(IndexError("into main"))

    with pytest.raises(IndexError, match="into main"):
        greenlet(run).switch()


def test_tasklet_kills_another_with_throw():
    log = []

    def victim():
        try:
            getcurrent().parent.switch()
        finally:
            log.append("victim finally")

    v = greenlet(victim)
    v.switch()
    result = greenlet(lambda: v.throw()).switch()
    assert isinstance(result, GreenletExit)
    assert v.dead and log == ["victim finally"]
