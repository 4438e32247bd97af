"""Root frame-stack chunks sized by what the same function needed before
(cython_src/includes/chunk_hint.h): a tasklet parked with frames past its
small root chunk teaches the next tasklet of that function a bigger root,
so parked tasklets keep no 16 KiB overflow chunk of CPython's.  Run in a
subprocess: the learning is per code object, for the whole process."""
import pytest

from _subproc import assert_ok, run_in_subprocess

pytestmark = pytest.mark.native_only(reason="the native core's frame-stack "
                                     "chunks")

CODE = r"""
from actors._core import Tasklet, getcurrent

main = getcurrent()

def deep(d, out, a=1, b=2, c=3, e=4):
    x = [a, b, c, d]
    if d:
        return deep(d - 1, out) + x[3]
    out.append(main.switch())           # parked 6 frames deep
    return 0

def shallow():
    main.switch()

def start(fn, *args):
    t = Tasklet(fn)
    t.switch(*args)
    return t

first = start(deep, 5, [])
base = first._root_chunk
assert base > 0, base
later = [(start(deep, 5, out), out) for out in [[] for _ in range(50)]]
sizes = {t._root_chunk for t, _ in later}
assert len(sizes) == 1 and sizes.pop() > base, (base, [t._root_chunk for t, _ in later])
# a function that never spilled keeps a root for its own frame
assert start(shallow)._root_chunk <= base
# a method of the same function is the same code
class Holder:
    def deep(self, d, out):
        return deep(d, out)
h = start(Holder().deep, 5, [])
# every parked tasklet resumes with its frames intact
for i, (t, out) in enumerate(later + [(first, [])]):
    r = t.switch(i)
    assert t.dead and r == 15, (i, r, t.dead)
    assert out in ([i], []), out
print("ok")
"""

ACTORS = r"""
import actors
from actors._core import _root_chunk

def deep(d, parent):
    x = [d]
    if d:
        return deep(d - 1, parent) + x[0]
    actors.send(parent, actors.receive())
    return 0

def main():
    me = actors.self()
    first = actors.spawn(deep, 6, me)
    actors.sleep(0)
    base = _root_chunk(first)
    pids = [actors.spawn(deep, 6, me) for _ in range(200)]
    actors.sleep(0)
    sizes = {_root_chunk(p) for p in pids}
    assert len(sizes) == 1 and sizes.pop() > base, (base, sizes)
    for i, p in enumerate([first] + pids):
        actors.send(p, i)
    got = sorted(actors.receive() for _ in range(201))
    assert got == list(range(201)), got[:5]
    print("ok")

actors.run(main)
"""


def test_a_spilled_function_starts_later_tasklets_with_room():
    assert_ok(run_in_subprocess(CODE))


def test_actors_parked_deep_resume_intact():
    assert_ok(run_in_subprocess(ACTORS))


TIGHT = r"""
import sys
from actors._core import Tasklet, getcurrent

main = getcurrent()

def few():
    main.switch()

def many(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9, j=10, k=11, l=12):
    main.switch()

def start(fn, *args):
    t = Tasklet(fn)
    t.switch(*args)
    return t

# A root holds the first frame and nothing more: smaller than the 512-byte
# default, bigger for a function with more locals.
small, big = start(few), start(many)
assert 0 < small._root_chunk < big._root_chunk < 512, (
    small._root_chunk, big._root_chunk)

# Calls that leave the root (Python to Python, through C and back, a
# generator, an exception crossing the line) while tasklets switch among
# themselves, each parking in its first frame between rounds and sometimes
# while its frames are spilled.
def rec(n):
    if n == 0:
        raise KeyError(n)
    return rec(n - 1)

def gen(n):
    for i in range(n):
        yield sorted([3, 1, 2], key=lambda v: -v)[0] + i

def work(k):
    total = 0
    for r in range(200):
        total += sum(gen(5)) + len(sorted(range(10), key=lambda v: v % 3))
        try:
            rec(k % 7 + 1)
        except KeyError:
            total += 1
        if r % 50 == 49:
            def deeper(n):
                if n:
                    return deeper(n - 1)
                return main.switch(("spilled", k))
            assert deeper(k % 5 + 2) == "go", k
        else:
            assert main.switch(("parked", k)) == "go", k
    return total

ts = [Tasklet(work) for _ in range(40)]
out = [t.switch(k) for k, t in enumerate(ts)]
rounds = 0
while not all(t.dead for t in ts):
    for k, t in enumerate(ts):
        if not t.dead:
            out[k] = t.switch("go")
    rounds += 1
assert rounds == 200, rounds
assert out == [200 * (25 + 10 + 1)] * len(ts), out[:3]
for t in (small, big):
    t.switch()
    assert t.dead
print("ok")
"""

CALLER = r"""
from actors._core import Tasklet, getcurrent
main = getcurrent()

def helper(x):
    return x + 1

def caller():
    helper(1)                 # a call past its own frame, then a park in it
    main.switch()

def quiet():
    main.switch()

def start(fn):
    t = Tasklet(fn)
    t.switch()
    return t

first = start(caller)
assert first._root_chunk < 512, first._root_chunk
later = [start(caller) for _ in range(5)]
assert {t._root_chunk for t in later} == {512}, [t._root_chunk for t in later]
tight = [start(quiet) for _ in range(5)]
assert max(t._root_chunk for t in tight) < 512, [t._root_chunk for t in tight]
for t in [first] + later + tight:
    t.switch()
    assert t.dead
print("ok")
"""

FLOOR = r"""
from actors._core import Tasklet, getcurrent
main = getcurrent()
def few():
    main.switch()
t = Tasklet(few)
t.switch()
assert t._root_chunk >= 1024, t._root_chunk
t.switch()
print("ok")
"""


def test_a_root_holds_the_first_frame_and_calls_past_it_stay_intact():
    assert_ok(run_in_subprocess(TIGHT))


def test_a_function_that_calls_past_its_frame_teaches_roomy_roots():
    assert_ok(run_in_subprocess(CALLER))


def test_actors_chunk_size_is_every_roots_minimum():
    assert_ok(run_in_subprocess(FLOOR, env={"ACTORS_CHUNK_SIZE": "1024"}))
