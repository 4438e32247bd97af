"""Tasklet(...) and greenlet(...) take a vectorcall slot of their own
(tasklet_vectorcall); type.__call__ still goes through type_call, tp_new
and __init__.  Both ways must give the same tasklet, or the same error."""
import functools

import pytest

import actors
from actors.greenlet import error, getcurrent, greenlet

pytestmark = pytest.mark.native_only(reason="the native types' call slot")


def _run():
    return "ran"


def _outcome(make, args, kwargs):
    try:
        g = make(*args, **kwargs)
    except Exception as e:                # the error, as the caller sees it
        return type(e), str(e)
    return (type(g), g.run if "run" in kwargs or args else None,
            g.parent, g.dead, bool(g), vars(g))


OTHER = greenlet(_run)                    # a parent other than main

FORMS = [
    ((), {}),
    ((_run,), {}),
    ((_run, OTHER), {}),
    ((), {"run": _run}),
    ((), {"parent": OTHER}),
    ((_run,), {"parent": OTHER}),
    ((), {"run": _run, "parent": OTHER}),
    ((), {"parent": OTHER, "run": _run}),
    ((None,), {}),                        # gevent's Hub passes run=None
    ((), {"run": None}),
    ((_run, None), {}),
    # errors: the generic path's own
    ((_run, OTHER, 3), {}),
    ((_run,), {"run": _run}),
    ((_run, OTHER), {"parent": OTHER}),
    ((), {"runn": _run}),
    ((), {"parent": 5}),
    ((_run, "main"), {}),
]


@pytest.mark.parametrize("kind", [greenlet, actors.Tasklet],
                         ids=["greenlet", "Tasklet"])
@pytest.mark.parametrize("args,kwargs", FORMS)
def test_call_matches_type_call(kind, args, kwargs):
    fast = _outcome(kind, args, kwargs)
    slow = _outcome(functools.partial(type.__call__, kind), args, kwargs)
    assert fast == slow
    assert fast[0] in (kind, TypeError, ValueError)


def test_made_by_the_slot_runs_and_parks_like_any():
    main = getcurrent()
    seen = []

    def body(x, y=None):
        seen.append((x, y))
        main.switch("parked")
        return "done"

    g = greenlet(body)
    assert type(g) is greenlet and g.parent is main and not g
    assert g.switch(1, y=2) == "parked"
    assert seen == [(1, 2)] and g and not g.dead
    assert g.switch() == "done"
    assert g.dead
    kw = {"run": body, "parent": main}
    h = greenlet(**kw)                    # PyObject_Call: a dict to unpack
    assert h.run is body and h.parent is main


def test_subclasses_still_go_through_init():
    calls = []

    class G(greenlet):
        def __init__(self, tag, run=None):
            calls.append(tag)
            super().__init__(run)

    g = G("t", _run)
    assert calls == ["t"] and g.run is _run and type(g) is G
    with pytest.raises(TypeError):
        G()                               # its own signature, not ours


def test_parent_on_another_thread_is_taken_as_greenlet_does():
    import threading
    box = {}

    def other():
        box["main"] = getcurrent()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    g = greenlet(_run, box["main"])
    assert g.parent is box["main"]
    with pytest.raises(error):
        g.switch()                        # its thread has ended
