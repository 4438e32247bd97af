"""greenlet's C API (greenlet.h's PyGreenlet_Import table) from
actors.greenlet, called the way a C extension calls it, through ctypes.

The conformance check (test_greenlet_conformance.py) also runs greenlet's
own compiled C and C++ test extensions against it.  Here each entry is
checked on its own, in a subprocess (a wrong table entry crashes).  Runs on
both backends: over the greenlet package the capsule is greenlet's own.
"""
import textwrap

import pytest

from _subproc import assert_ok, run_in_subprocess

PRELUDE = """
import ctypes, sys
import actors.greenlet as G
sys.modules["greenlet"] = G
P = ctypes.py_object
imp = ctypes.pythonapi.PyCapsule_Import
imp.restype, imp.argtypes = ctypes.c_void_p, (ctypes.c_char_p, ctypes.c_int)
api = ctypes.cast(imp(b"greenlet._C_API", 0), ctypes.POINTER(ctypes.c_void_p))
assert api, "PyCapsule_Import failed"
def entry(n, restype, *argtypes):
    return ctypes.PYFUNCTYPE(restype, *argtypes)(api[n])
Type = ctypes.cast(api[0], P).value
Error = ctypes.cast(api[1], P).value
Exit = ctypes.cast(api[2], P).value
New = entry(3, P, ctypes.c_void_p, ctypes.c_void_p)
GetCurrent = entry(4, P)
Throw = entry(5, P, P, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
Switch = entry(6, P, P, ctypes.c_void_p, ctypes.c_void_p)
SetParent = entry(7, ctypes.c_int, P, P)
MAIN = entry(8, ctypes.c_int, P)
STARTED = entry(9, ctypes.c_int, P)
ACTIVE = entry(10, ctypes.c_int, P)
GetParent = entry(11, ctypes.c_void_p, P)
keep = []                 # what a pointer below is taken of stays alive
def ptr(o):
    keep.append(o)
    return ctypes.c_void_p(id(o))
"""


def run(code):
    proc = run_in_subprocess(PRELUDE + textwrap.dedent(code))
    assert_ok(proc, "ok\n")


def test_the_table_holds_the_type_and_exceptions():
    run("""
    assert Type is G.greenlet and Error is G.error and Exit is G.GreenletExit
    print("ok")
    """)


def test_new_switch_and_states():
    run("""
    main = GetCurrent()
    assert main is G.getcurrent() and MAIN(main) == 1
    assert STARTED(main) == 1 and ACTIVE(main) == 1
    def body(x, y=1):
        got = main.switch(x * y)
        return got + 1
    g = New(ptr(body), None)
    assert type(g) is G.greenlet and g.parent is main
    assert (MAIN(g), STARTED(g), ACTIVE(g)) == (0, 0, 0)
    kw = {"y": 7}
    assert Switch(g, ptr((6,)), ptr(kw)) == 42      # run(6, y=7)
    assert (STARTED(g), ACTIVE(g)) == (1, 1)
    assert Switch(g, ptr((9,)), None) == 10         # switch(9) returns 9
    assert g.dead and (STARTED(g), ACTIVE(g)) == (1, 0)
    # NULL args: no arguments; an empty kwargs dict counts as none.
    h = New(ptr(lambda: "none"), ptr(main))
    assert Switch(h, None, ptr({})) == "none"
    print("ok")
    """)


def test_parents():
    run("""
    main = GetCurrent()
    a = G.greenlet(lambda: None)
    b = G.greenlet(lambda: None)
    assert GetParent(a) == id(main)
    assert SetParent(b, a) == 0 and b.parent is a
    assert GetParent(main) is None                 # NULL: no parent
    try:
        SetParent(a, b)
    except ValueError as e:
        assert "cyclic parent chain" in str(e), e
    else:
        raise AssertionError("a cycle was accepted")
    try:
        SetParent(a, "x")
    except TypeError:
        pass
    else:
        raise AssertionError("a str parent was accepted")
    print("ok")
    """)


def test_throw_and_bad_arguments():
    run("""
    seen = []
    def body():
        try:
            G.getcurrent().parent.switch()
        except ValueError as e:
            seen.append(str(e))
        return "done"
    g = G.greenlet(body)
    g.switch()
    assert Throw(g, ptr(ValueError), ptr("boom"), None) == "done"
    assert seen == ["boom"]
    # GreenletExit: a suspended greenlet that does not catch it returns it
    k = G.greenlet(lambda: G.getcurrent().parent.switch())
    k.switch()
    assert isinstance(Throw(k, ptr(G.GreenletExit), None, None),
                      G.GreenletExit) and k.dead
    for bad in (lambda: Switch("x", None, None),
                lambda: Throw(1, ptr(ValueError), None, None),
                lambda: MAIN(None)):
        try:
            bad()
        except TypeError:
            pass
        else:
            raise AssertionError("a non-greenlet was accepted")
    try:
        Throw(G.getcurrent(), ptr("abc"), None, None)
    except TypeError as e:
        assert str(e) == "exceptions must be classes, or instances, not str"
    print("ok")
    """)


def test_a_c_type_on_greenlets_object_struct_keeps_its_fields():
    # A C extension type compiled against greenlet's PyGreenlet struct
    # (gevent's compiled Greenlet) keeps its own fields right after
    # greenlet's 40 bytes (on 64-bit); ours are that size, so such a type
    # derives from actors.greenlet without either side writing over the
    # other.  Made here with PyType_FromSpecWithBases: two 8-byte fields
    # after the struct, written before the start and checked across
    # switches.
    proc = run_in_subprocess("""
        import ctypes
        import actors.greenlet as G
        class Slot(ctypes.Structure):
            _fields_ = [("slot", ctypes.c_int), ("pfunc", ctypes.c_void_p)]
        class Spec(ctypes.Structure):
            _fields_ = [("name", ctypes.c_char_p), ("basicsize", ctypes.c_int),
                        ("itemsize", ctypes.c_int), ("flags", ctypes.c_uint),
                        ("slots", ctypes.POINTER(Slot))]
        P = ctypes.sizeof(ctypes.c_void_p)
        head = 16 + 3 * P                 # greenlet.h's PyGreenlet
        print(G.greenlet.__basicsize__ == head)
        slots = (Slot * 1)(Slot(0, None))
        Py_TPFLAGS_BASETYPE = 1 << 10
        spec = Spec(b"ext.Greenlet", head + 2 * 8, 0, Py_TPFLAGS_BASETYPE,
                    slots)
        make = ctypes.pythonapi.PyType_FromSpecWithBases
        make.restype = ctypes.py_object
        make.argtypes = (ctypes.c_void_p, ctypes.py_object)
        T = make(ctypes.addressof(spec), (G.greenlet,))
        def body(x):
            x = G.getcurrent().parent.switch(x + 1)
            return x * 10
        g = T(body)
        own = (ctypes.c_uint64 * 2).from_address(id(g) + head)
        own[0], own[1] = 0x1122334455667788, 0x99AABBCCDDEEFF00
        print(g.switch(1), own[0] == 0x1122334455667788)
        g.foo = "attr"                    # its __dict__ works too
        print(g.switch(4), g.dead, g.foo)
        print(own[0] == 0x1122334455667788, own[1] == 0x99AABBCCDDEEFF00)
        class Sub(T):                     # and a Python subclass of it
            pass
        print(Sub(lambda: 5).switch())
    """)
    assert_ok(proc, "True\n2 True\n40 True attr\nTrue True\n5\n")
