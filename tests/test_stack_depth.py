"""actors/_stack_depth.py: the value-stack depth at which a frame makes a
call, from which a dead thread's tasklet's frames are released before 3.14
(pystate_reclaim.h).  A depth too large would release what a frame does not
own, so the analysis is checked against the compiler's own co_stacksize on
the standard library, and exactly on known shapes."""
import dis
import sys
import types

import pytest

from actors import _stack_depth as sd

# 3.14+ records every frame's stack pointer: the analysis is not used there
# (pystate_py314.h), and its bytecode is not what it was written against.
pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 14), reason="used on CPython 3.11-3.13 only")


def _codes(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


@pytest.mark.parametrize("module", [
    "dis", "inspect", "asyncio.tasks", "json.decoder", "contextlib",
    "threading", "zipfile", "typing"])
def test_analysis_agrees_with_the_compiler_on_the_stdlib(module):
    mod = __import__(module, fromlist=["_"])
    with open(mod.__file__, encoding="utf-8") as f:
        top = compile(f.read(), mod.__file__, "exec")
    for code in _codes(top):
        depths = sd._analyse(code)
        assert depths is not None, code
        # The compiler's maximum is reached before or right after some
        # instruction; never more than it.
        assert code.co_stacksize - 1 <= max(depths.values(), default=0) \
            <= code.co_stacksize, code


def _offsets(func, opname, arg=None):
    return [i.offset for i in dis.get_instructions(func)
            if i.opname == opname and (arg is None or i.arg == arg)]


def g(*a, **k):
    pass


def h():
    pass


def nested_call(a, b):
    return g(a, b, h())


def star_call(a):
    return g(a, *a)


def in_handler(a):
    try:
        h()
    except Exception:
        return g(a)


def test_depth_of_a_call_counts_everything_below_its_arguments():
    code = nested_call.__code__
    # h(): g's callable slot pair, a, b, then h's own pair: 6 slots.
    (inner,) = _offsets(nested_call, "CALL", 0)
    assert sd.depth_at(code, inner) == 6
    # g(a, b, <result>): its pair and three arguments.
    (outer,) = _offsets(nested_call, "CALL", 3)
    assert sd.depth_at(code, outer) == 5


def test_depth_in_an_exception_handler_counts_the_exception():
    code = in_handler.__code__
    (call,) = _offsets(in_handler, "CALL", 1)
    # the previous exception PUSH_EXC_INFO saved (the matched one was
    # popped), g's pair, a
    assert sd.depth_at(code, call) == 4


def test_unsafe_or_unknown_instructions_give_no_depth():
    code = star_call.__code__
    (ex,) = _offsets(star_call, "CALL_FUNCTION_EX")
    assert sd.depth_at(code, ex) == -1
    assert sd.depth_at(code, 0) == -1              # RESUME: not a call
    assert sd.depth_at(code, -2) == -1
    assert sd.depth_at(code, len(code.co_code) + 2) == -1
