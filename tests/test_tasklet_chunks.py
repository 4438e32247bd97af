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
# a function that never spilled keeps the small root
assert start(shallow)._root_chunk == base
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
