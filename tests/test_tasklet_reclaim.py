"""A tasklet left suspended by a thread that has ended is reclaimed: its
frames' references released, its memory freed, and the frame objects others
hold of it stay readable (they own a copy of their frame by then).

On 3.11-3.13 the value stack of a frame suspended in a call is released
at the depth actors/_stack_depth.py computes; 3.14+ records it.  Each test
runs in a subprocess: the failure mode is a crash (a release of something
not owned, a read of freed frame memory).
"""
import sys

import pytest

from _subproc import assert_ok, describe, run_in_subprocess

pytestmark = pytest.mark.native_only(
    "reclaiming a dead thread's tasklets is the native core's")

# Tasklets parked several frames deep, through C calls (sorted's key, map,
# list()), in with/try/except blocks, with objects only on value stacks
# mid-expression; each object tells when it is freed.
SCENARIO = """
import gc, sys, threading, weakref
from actors.greenlet import greenlet, getcurrent

class Obj:
    pass
fired, frames, tbs = [], [], []
_refs = []
def mk(tag):
    o = Obj()
    _refs.append(weakref.ref(o, lambda r, tag=tag: fired.append(tag)))
    return o
def park():
    return getcurrent().parent.switch()
class CM:
    def __enter__(self):
        return self
    def __exit__(self, *a):
        return False
def consume(a, b, c):
    pass
def level3(x):
    loc3 = mk("loc3")
    consume(mk("stack3a"), mk("stack3b"), park())
def key(v):
    lockey = mk("lockey")
    level3(v)
    return v
def level2():
    loc2 = mk("loc2")
    with CM():
        try:
            return [mk("stack2")] + sorted([1], key=key)
        finally:
            pass
def level1():
    loc1 = mk("loc1")
    consume(mk("stack1"), list(map(lambda v: level2(), [1])), 0)
def in_except():
    try:
        1 / 0
    except ZeroDivisionError:
        locexc = mk("locexc")
        tbs.append(sys.exc_info()[2])
        consume(mk("stackexc"), 1, park())
def method_call():
    d = {"k": mk("locdict")}
    d.get("k", mk("stackget")).__init__(park())

ALL = ["loc1", "loc2", "loc3", "locdict", "locexc", "lockey", "stack1",
       "stack2", "stack3a", "stack3b", "stackexc", "stackget"]
BODIES = (level1, in_except, method_call)

def parked_in_a_thread(keep_frame):
    left = []
    def owner():
        for body in BODIES:
            g = greenlet(body)
            g.switch()
            left.append(g)
        if keep_frame:
            frames.append(left[0].gr_frame)
    t = threading.Thread(target=owner)
    t.start()
    t.join()
    if not keep_frame:
        del tbs[:]
    del left[:]                  # dropped after their thread ended
    gc.collect(); gc.collect()
"""


def test_references_on_locals_and_value_stacks_are_released():
    assert_ok(run_in_subprocess(SCENARIO + """
parked_in_a_thread(False)
missing = sorted(set(ALL) - set(fired))
# (in_except's handled exception, on its own value stack, holds its frame
# through its traceback: a frame object held elsewhere, which takes over a
# copy of its frame)
print(missing == [] or missing)
"""), "True\n")


# What the frame kept of level1's tasklet and the traceback kept of
# in_except's hold.
HELD = ['loc1', 'loc2', 'loc3', 'locexc', 'lockey', 'stack1', 'stack2',
        'stack3a', 'stack3b', 'stackexc']


def test_held_frame_and_traceback_stay_readable_and_release_later():
    assert_ok(run_in_subprocess(SCENARIO + """
parked_in_a_thread(True)
# Everything of level1's tasklet is held by the frame chain kept above;
# the traceback holds in_except's frame.
print(sorted(set(ALL) - set(fired)))
for _ in range(20):             # reuse the freed chunks and stacks
    g = greenlet(park); g.switch(); del g
f, chain = frames[0], []
while f is not None:
    chain.append("%s:%d:%s" % (f.f_code.co_name, f.f_lineno,
                               ",".join(sorted(f.f_locals))))
    f = f.f_back
print(chain[1:])
tb = tbs[0]
print(tb.tb_frame.f_code.co_name, tb.tb_lineno,
      type(tb.tb_frame.f_locals["locexc"]).__name__)
del f, tb, frames[:], tbs[:]
gc.collect(); gc.collect()
print(sorted(set(ALL) - set(fired)))
"""), "%s\n%s\nin_except 41 Obj\n%s\n" % (
        HELD,
        ['level3:24:loc3,x', 'key:27:lockey,v', 'level2:33:loc2',
         '<lambda>:38:v', 'level1:38:loc1'],
        # the frame objects took their frames over: released with them
        []))


def test_a_generator_in_the_chain_keeps_the_tasklet():
    # Its frame lives in the generator, which is executing: not reclaimed
    # (kept, as before), and nothing breaks.
    assert_ok(run_in_subprocess(SCENARIO + """
def gen_body():
    def gen():
        loc = mk("ingen")
        yield park()
    for _ in gen():
        pass
BODIES = (gen_body, level1)
parked_in_a_thread(True)
print("ingen" in fired, frames[0].f_code.co_name)
"""), "False park\n")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_memory_does_not_grow_over_many_rounds():
    r = run_in_subprocess(SCENARIO + """
import actors._core as core
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
for _ in range(30):
    parked_in_a_thread(False)
blocks, before = core._stats()["blocks_in_use"], rss()
for _ in range(300):
    parked_in_a_thread(False)
print(core._stats()["blocks_in_use"] - blocks, (rss() - before) // 1024)
""", timeout=300)
    assert r.returncode == 0, describe(r)
    blocks, kib = map(int, r.stdout.split())
    # Kept, 900 tasklets parked 4-9 frames deep would hold ~900 blocks and
    # many MiB; reclaimed, nothing accumulates.
    assert blocks <= 2, describe(r)
    assert kib < 4096, describe(r)


def test_unknown_depth_leaks_the_value_stack_only():
    # CALL_FUNCTION_EX may hold a stale pointer in its argument's slot
    # during its call (see actors/_stack_depth.py): that frame's value
    # stack is leaked, never released; its locals still are.
    assert_ok(run_in_subprocess(SCENARIO + """
def star_call():
    locstar = mk("locstar")
    consume(mk("stackstar"), 0, sorted(*[[1]], **{"key": key}))
BODIES = (star_call,)
parked_in_a_thread(False)
print(sorted(set(fired)))
"""), "%s\n" % (['loc3', 'lockey', 'locstar', 'stack3a', 'stack3b'] +
                 # 3.14+ records every frame's stack pointer
                 (['stackstar'] if sys.version_info >= (3, 14) else [])))


def test_tasklets_of_ended_threads_at_interpreter_exit():
    # Still referenced when the interpreter finalizes: reclaimed (or kept)
    # by the collections of Py_FinalizeEx, where importing or running the
    # depth analysis may fail; nothing crashes.
    assert_ok(run_in_subprocess(SCENARIO + """
kept = []
def owner():
    for body in BODIES * 3:
        g = greenlet(body)
        g.switch()
        kept.append(g)
t = threading.Thread(target=owner)
t.start()
t.join()
kept.append(kept)                    # a cycle: freed by the last collections
print("exit")
"""), "exit\n")
