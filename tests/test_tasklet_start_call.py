"""The call into a tasklet's or an actor's first function.

On CPython 3.14+ a plain Python function started with up to 8 positional
arguments is entered without _PyEval_Vector's C frame (call_start.h);
everything else goes through PyObject_Call.  Both must behave exactly as
calling the function does."""
import functools
import sys
import types

import pytest

import actors
from actors.greenlet import GreenletExit, greenlet, getcurrent


def called(run, *args, **kwargs):
    try:
        return ("value", run(*args, **kwargs))
    except Exception as e:
        return ("raised", type(e), str(e))


def started(run, *args, **kwargs):
    """What run(*args, **kwargs) returns or raises, run as a tasklet."""
    return called(greenlet(run).switch, *args, **kwargs)


def positional(*a):
    return a


def fixed(a, b, c=3, *, d=4):
    return (a, b, c, d)


def closure():
    x = [1]

    def inner(y):
        return x[0] + y
    return inner


def gen(n):
    yield from range(n)


class Thing:
    def method(self, a):
        return (self.__class__.__name__, a)


CASES = [
    (positional, ()),
    (positional, (1,)),
    (positional, tuple(range(8))),       # the most the direct path takes
    (positional, tuple(range(9))),       # one more: PyObject_Call
    (fixed, (1, 2)),
    (fixed, (1, 2, 5)),
    (fixed, (1,)),                       # missing argument: TypeError
    (fixed, (1, 2, 3, 4)),               # too many: TypeError
    (closure(), (41,)),
    (Thing().method, (7,)),              # bound method: PyObject_Call
    (functools.partial(fixed, 1), (2,)),
    (len, ([1, 2],)),                    # builtin
]


@pytest.mark.parametrize("run,args", CASES)
def test_start_behaves_as_a_call(run, args):
    assert started(run, *args) == called(run, *args)


def test_keywords_and_defaults():
    assert started(fixed, 1, b=2, d=9) == ("value", (1, 2, 3, 9))
    assert started(fixed, 1, 2, e=0) == called(fixed, 1, 2, e=0)


def test_a_generator_function_returns_its_generator():
    kind, g = started(gen, 3)
    assert kind == "value" and list(g) == [0, 1, 2]


def test_code_without_fast_locals_runs_in_its_globals():
    # Module-level code made a function: not CO_OPTIMIZED, so its locals
    # are its globals, as _PyFunction_Vectorcall gives them.
    ns = {}
    fn = types.FunctionType(compile("x = 42", "<module-like>", "exec"), ns)
    assert started(fn) == ("value", None)
    assert ns["x"] == 42


def test_a_function_with_a_replaced_code_object():
    def f():
        return 1
    f.__code__ = (lambda: 2).__code__
    assert started(f) == ("value", 2)


def test_the_call_is_seen_by_the_profiler():
    seen = []

    def prof(frame, event, arg):
        if event == "call" and frame.f_code is fixed.__code__:
            seen.append(event)
    sys.setprofile(prof)
    try:
        # The tasklet inherits nothing from the main tasklet's profile
        # setting in greenlet's model either way: profile inside it.
        def run():
            sys.setprofile(prof)
            return fixed(1, 2)
        assert started(run) == ("value", (1, 2, 3, 4))
    finally:
        sys.setprofile(None)
    assert seen == ["call"]


def test_an_exception_carries_the_function_frame_on_top():
    def boom(a):
        raise ValueError(a)
    try:
        greenlet(boom).switch("x")
    except ValueError as e:
        names = []
        tb = e.__traceback__
        while tb is not None:
            names.append(tb.tb_frame.f_code.co_name)
            tb = tb.tb_next
    assert names[-1] == "boom"


def test_actors_start_the_same_way():
    got = []

    def worker(a, b, *rest, k=None):
        got.append((a, b, rest, k))

    def main():
        actors.spawn(worker, 1, 2)
        actors.spawn(worker, 1, 2, *range(9))
        actors.spawn(worker, 1, 2, k="kw")
        actors.sleep(0.01)
    actors.run(main)
    assert sorted(got, key=repr) == sorted(
        [(1, 2, (), None), (1, 2, tuple(range(9)), None), (1, 2, (), "kw")],
        key=repr)


def test_a_direct_start_saves_less_stack_than_a_generic_call():
    # Nine arguments take PyObject_Call and so keep _PyEval_Vector's frame
    # (176 bytes with gcc 15) on every parked tasklet's stack; on 3.14+ up
    # to eight take the direct path without it.  Before 3.14 both take
    # PyObject_Call, whose frames there are small, and save the same.
    park = getcurrent().switch

    def body(*args):
        park()

    def saved_per_tasklet(nargs, n=200):
        before = actors.metrics()["stack_bytes"]
        keep = [greenlet(body) for _ in range(n + 1)]
        for t in keep:
            t.switch(*range(nargs))
        # The last one parked is still in place on the stack, not saved.
        per = (actors.metrics()["stack_bytes"] - before) / n
        for t in keep:
            t.throw(GreenletExit)
        return per

    direct, generic = saved_per_tasklet(0), saved_per_tasklet(9)
    assert direct > 0, direct
    if sys.version_info >= (3, 14):
        assert generic - direct >= 64, (direct, generic)
    else:
        assert abs(generic - direct) < 32, (direct, generic)
