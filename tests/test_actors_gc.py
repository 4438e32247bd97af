"""The runtime and CPython's cyclic collector (issue 10).

Live actors are kept out of the collector's way (untracked while the
process table holds them, tracked again when they end): collections stay
cheap however many actors are parked, yet nothing an actor still uses is
collected, cycles through ended actors and their state are collected, and
the user's own gc settings are never touched."""
import gc
import weakref

import actors
from _subproc import assert_ok, run_in_subprocess

N_CYCLES = 200000       # the issue asks for 1M; 200k keeps the suite short


def tracked_objects():
    gc.collect()
    return len(gc.get_objects())


def test_parked_actors_add_no_tracked_objects():
    """10,000 parked actors (process- and class-style) leave the number of
    gc-tracked objects about where it was: full collections do not walk
    them.  Ended, each actor is tracked again."""
    n = 5000
    seen = {}

    class Idle(actors.Actor):
        def receive(self, msg):
            return gc.is_tracked(self)

    def parked(out):
        out.append(actors.getcurrent())
        actors.receive()

    def main():
        procs = []
        base = tracked_objects()
        pids = [actors.spawn(parked, procs) for _ in range(n)]
        pids += [actors.spawn(Idle) for _ in range(n)]
        actors.sleep(0)
        seen["growth"] = tracked_objects() - base
        seen["tracked_live"] = sum(gc.is_tracked(p) for p in procs)
        seen["ask"] = actors.ask(pids[-1], "tracked?")
        for p in pids:
            actors.exit(p, "kill")
        actors.sleep(0)
        seen["tracked_ended"] = sum(gc.is_tracked(p) for p in procs)

    actors.run(main)
    assert seen["growth"] < 200, seen
    assert seen["tracked_live"] == 0
    assert seen["ask"] is False
    assert seen["tracked_ended"] == n


def test_a_parked_actors_cycles_survive_collections():
    """What only a parked actor's frame refers to, cycles included, stays
    alive through gc.collect() (an untracked actor counts as a referrer
    from outside) and is intact when the actor resumes."""
    out = {}

    class Node:
        pass

    def holder(main):
        a, b = Node(), Node()
        a.other, b.other = b, a          # a cycle only this frame holds
        a.payload = list(range(100))
        actors.send(main, weakref.ref(a))
        actors.receive()
        out["intact"] = a.other.other is a and a.payload == list(range(100))

    def main():
        p = actors.spawn(holder, actors.self())
        ref = actors.receive()
        for _ in range(3):
            gc.collect()
        out["alive"] = ref() is not None
        p.send("go")
        actors.sleep(0)
        del p
        for _ in range(3):
            gc.collect()
        out["freed"] = ref() is None

    actors.run(main)
    assert out == {"alive": True, "intact": True, "freed": True}


CYCLES_CODE = r"""
import gc, os, sys
import actors

N = {n}


class Cell:
    __slots__ = ("next", "owner", "pad", "__weakref__")


class Holder(actors.Actor):
    # class-style state that refers to the actor itself and to the others
    def __init__(self, cell):
        self.me = self
        self.cell = cell
        cell.owner = self

    def receive(self, msg):
        pass


def proc(cells, i):
    # process-style: a cell that refers to this actor's Process, chained to
    # the next actor's cell, all in one big cycle through every actor
    c = cells[i]
    c.owner = actors.getcurrent()
    c.pad = [c]
    actors.receive()


def count(kind):
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def one_round():
    cells = [Cell() for _ in range(N)]
    for i, c in enumerate(cells):
        c.next = cells[(i + 1) % N]

    def main():
        half = N // 2
        pids = [actors.spawn(proc, cells, i) for i in range(half)]
        pids += [actors.spawn(Holder, cells[i]) for i in range(half, N)]
        actors.sleep(0)
        gc.collect()            # nothing of a live actor may go
        assert count(Cell) == N
        assert all(c.owner is not None for c in cells)
        for p in pids:
            actors.exit(p, "kill")
        actors.sleep(0)

    actors.run(main)
    del cells


gc.collect()
base_cells = count(Cell)
one_round()                     # warm-up: arenas, tables
gc.collect()
objs0, rss0 = len(gc.get_objects()), rss()
for _ in range(2):
    one_round()
gc.collect()
assert count(Cell) == base_cells == 0, count(Cell)
assert count(Holder) == 0, count(Holder)
assert count(actors.Actor) == 0
objs1, rss1 = len(gc.get_objects()), rss()
assert objs1 - objs0 < 500, (objs0, objs1)
# every round held N cells, N Process objects and N saved stacks: what
# stays must be far below one round's worth
assert rss1 - rss0 < N * 300, (rss0, rss1)
print("OK", objs1 - objs0, rss1 - rss0)
"""


def test_cycles_through_ended_actors_are_collected():
    """N_CYCLES actors, half process- half class-style, whose state forms
    one cycle through every actor object: once they have all ended, the
    collector frees everything (object counts back, RSS not grown by a
    round's worth)."""
    r = run_in_subprocess(CYCLES_CODE.replace("{n}", str(N_CYCLES)),
                          timeout=600)
    assert_ok(r)
    assert "OK" in r.stdout


def test_run_leaves_the_users_gc_settings_alone():
    """The runtime never changes the collector: a program's thresholds,
    disabled state and frozen objects are the same inside the actors and
    after run(), and what an actor sets stays set after run() returns."""
    saved = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    seen = {}

    def spawner():
        for _ in range(20000):
            actors.spawn(actors.receive)
        actors.sleep(0)
        seen["inside"] = (gc.isenabled(), gc.get_threshold())
        gc.set_threshold(1234, 5, 6)

    try:
        gc.disable()
        gc.set_threshold(999, 8, 7)
        gc.freeze()
        frozen = gc.get_freeze_count()
        actors.run(spawner)
        assert seen["inside"] == (False, (999, 8, 7))
        assert gc.isenabled() is False
        assert gc.get_threshold() == (1234, 5, 6)
        assert gc.get_freeze_count() == frozen
        gc.enable()
        actors.run(spawner)
        assert seen["inside"] == (True, (1234, 5, 6))
        assert gc.isenabled() is True
    finally:
        gc.unfreeze()
        gc.set_threshold(*saved[1])
        (gc.enable if saved[0] else gc.disable)()
