"""What a parked tasklet keeps: its __dict__ only once used, run and its
arguments only while run() runs, and both still work as greenlet's do."""
import gc

import pytest

from actors.greenlet import getcurrent, greenlet

pytestmark = pytest.mark.native_only(reason="the native Tasklet's layout")


def _referent_types(g):
    return [type(o) for o in gc.get_referents(g)]


@pytest.mark.parametrize("kind", ["greenlet", "Tasklet"])
def test_dict_is_created_on_first_use(kind):
    import actors
    make = greenlet if kind == "greenlet" else actors.Tasklet
    g = make(lambda: None)
    assert dict not in _referent_types(g)
    g.x = 1
    assert g.__dict__ == {"x": 1}
    assert dict in _referent_types(g)
    h = make(lambda: None)
    assert h.__dict__ == {}           # reading it creates an empty one
    assert dict in _referent_types(h)


def test_subclass_instances_get_a_dict_on_first_use_too():
    class G(greenlet):
        pass

    g = G(lambda: None)
    assert dict not in _referent_types(g)
    g.attr = "a"
    assert vars(g) == {"attr": "a"}


def test_run_and_arguments_are_held_while_running_then_dropped():
    import weakref

    class Arg:
        pass

    arg, kw = Arg(), Arg()
    seen = []

    def body(a, k=None):
        seen.append((a, k))
        getcurrent().parent.switch()
        return "done"

    g = greenlet(body)
    g.switch(arg, k=kw)
    assert seen == [(arg, kw)]
    refs = [weakref.ref(arg), weakref.ref(kw)]
    del arg, kw, seen[:]
    gc.collect()
    assert all(r() is not None for r in refs)   # held while run() runs
    assert g.switch() == "done"
    gc.collect()
    assert all(r() is None for r in refs)       # dropped when it returns


def test_run_cannot_be_deleted_after_start():
    g = greenlet(lambda: getcurrent().parent.switch())
    g.switch()
    with pytest.raises(AttributeError):
        del g.run
    g.switch()
