"""Value-stack depth of a frame suspended in a call, CPython 3.11-3.13.

A tasklet left suspended by a thread that has ended is reclaimed by
releasing the references its frames hold (pystate_reclaim.h).  Before 3.14
a frame that made a call through C keeps no record of how deep its value
stack is (the eval loop holds the stack pointer in a C local and stores
stacktop = -1), so the depth is recomputed here from the code object: a
flow analysis over the unquickened bytecode, as the compiler computes
co_stacksize, giving the depth before each instruction.  The C side calls
`depth_at` with the GIL held, before it changes anything.

A depth is given only for instructions whose outgoing call runs with every
slot below that depth holding a reference the frame owns (checked against
each version's ceval / bytecodes.c): their inputs stay in their slots
until the call returns.  Others get -1, and the frame's value stack is
leaked rather than released.  Left out on purpose, for example:
CALL_FUNCTION_EX (it replaces a non-tuple argument by a tuple in a C
local and releases the original, whose slot keeps the stale pointer
during the call) and BEFORE_WITH (3.12+ releases the manager before
calling __enter__ and writes its slot only afterwards).

What this cannot see: a frame suspended inside a finalizer or weakref
callback that one of its own instructions triggered by releasing a
reference mid-instruction (e.g. CALL's release of its arguments after the
call returned); slots released just before are stale then.  Such a frame
looks like one suspended in the instruction's call.
"""
import dis
import sys
import types
import weakref
from typing import Dict, Optional

_V = sys.version_info[:2]

# Instructions whose escaping call keeps the inputs in their slots (see
# the top).  3.11's PRECALL is listed because its specialized forms make
# the call themselves.
_SAFE = frozenset(n for n in (
    "CALL", "PRECALL", "CALL_KW", "FOR_ITER", "BINARY_OP", "BINARY_SUBSCR",
    "COMPARE_OP", "CONTAINS_OP", "LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR",
    "STORE_SUBSCR", "GET_ITER", "SEND", "WITH_EXCEPT_START", "TO_BOOL",
) if n in dis.opmap)

# No fall-through to the next instruction.
_TERMINAL = frozenset(n for n in (
    "RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE",
    "JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT",
    "INTERPRETER_EXIT",
) if n in dis.opmap)

if hasattr(dis, "hasjump"):                       # 3.13
    _JUMPS = frozenset(dis.hasjump)
else:
    _JUMPS = frozenset(dis.hasjrel) | frozenset(dis.hasjabs)

_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]

# code object -> {offset: depth before it} (None: no consistent analysis)
_cache: "weakref.WeakKeyDictionary[types.CodeType, Optional[Dict[int, int]]]"
_cache = weakref.WeakKeyDictionary()


def _effect(ins, jump):
    if ins.opname == "RETURN_GENERATOR":
        # The generator resumes after it with the sent value pushed (the
        # next POP_TOP drops it); 3.11 and 3.12 count 0 here because their
        # compiler adds the prefix after computing co_stacksize.
        return 1
    if ins.opcode < dis.HAVE_ARGUMENT:
        return dis.stack_effect(ins.opcode)
    return dis.stack_effect(ins.opcode, ins.arg or 0, jump=jump)


def _analyse(code):
    """{offset: depth before the instruction there}, or None where the
    analysis finds two depths for one instruction (never expected)."""
    instrs = list(dis.get_instructions(code))
    index = {ins.offset: i for i, ins in enumerate(instrs)}
    depth = {}
    work = []

    def reach(offset, d):
        if offset not in index or d < 0:
            return False
        old = depth.get(offset)
        if old is None:
            depth[offset] = d
            work.append(offset)
            return True
        return old == d

    ok = reach(instrs[0].offset, 0) if instrs else True
    # Exception handlers: the recorded depth, lasti if pushed, the exception.
    for e in dis._parse_exception_table(code):
        ok = ok and reach(e.target, e.depth + (1 if e.lasti else 0) + 1)
    while ok and work:
        offset = work.pop()
        i = index[offset]
        ins = instrs[i]
        d = depth[offset]
        if ins.opcode in _JUMPS:
            ok = reach(ins.argval, d + _effect(ins, True))
        if ok and ins.opname not in _TERMINAL and i + 1 < len(instrs):
            ok = reach(instrs[i + 1].offset, d + _effect(ins, False))
    return depth if ok else None


def depth_at(code, offset):
    """Depth of `code`'s value stack while the instruction at byte `offset`
    makes its call, or -1 where it is not known to be safe to release."""
    try:
        depths = _cache[code]
    except KeyError:
        depths = _cache[code] = _analyse(code)
    if depths is None:
        return -1
    raw = code.co_code
    if not 0 <= offset < len(raw) or raw[offset] == _EXTENDED_ARG:
        return -1
    name = dis.opname[raw[offset]]
    if name not in _SAFE:
        return -1
    if name == "CALL" and _V == (3, 11):
        # 3.11's compiler counts PRECALL as popping the arguments, but they
        # stay on the stack until CALL: its depth is the one before PRECALL,
        # the instruction right before it.
        prev = _previous(code, offset)
        if prev is None or dis.opname[raw[prev]] != "PRECALL":
            return -1
        offset = prev
    d = depths.get(offset)
    if d is None or d > code.co_stacksize:
        return -1
    return d


def _previous(code, offset):
    """Offset of the instruction before the one at `offset` (EXTENDED_ARG
    prefixes belong to their instruction)."""
    prev = None
    for ins in dis.get_instructions(code):
        if ins.offset >= offset:
            break
        if ins.opcode != _EXTENDED_ARG:
            prev = ins.offset
    return prev
