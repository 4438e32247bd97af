"""Frames of tasklets: recursion limits across nested starts, the frames of
suspended tasklets (gr_frame, f_back, running generators' gi_frame),
tracebacks and sys._current_frames()/sys._getframe() inside tasklets.

Since CPython 3.12 every call into the interpreter from C links an "entry
frame" that lives in that C frame into the chain of interpreter frames; a
suspended tasklet's C stack may be overwritten by another tasklet, so
walking its frames must never go through one.  A failure there is a
segfault or garbage, so the checks that walk suspended frames run in a
subprocess.
"""
import sys
import threading
import traceback

import pytest

from _subproc import assert_ok, run_in_subprocess
from actors.greenlet import getcurrent, greenlet

# The descent every test below builds: each level of a plan is one way of
# calling the next level, most of them through C (an entry frame each).
DESCENT = r'''
import random
import sys
import traceback
from actors.greenlet import getcurrent, greenlet

KINDS = ("call", "map", "gen", "init", "sorted")
GENS = {}       # tasklet index -> its running generators


def names_of(frame):
    return [fs.name for fs in traceback.extract_stack(frame)]


def expected_names(plan, bottom):
    names = ["worker"]
    for kind in plan:
        names.append("descend")
        names += {"call": ["via_call"], "map": ["via_map", "mapped"],
                  "gen": ["via_gen", "gen"], "init": ["via_init", "__init__"],
                  "sorted": ["via_sorted", "key"]}[kind]
    names += ["descend", bottom]
    return names


def worker(index, plan, bottom, *args):
    return descend(index, plan, 0, bottom, args)


def descend(index, plan, i, bottom, args):
    if i == len(plan):
        return bottom(index, *args)
    return globals()["via_" + plan[i]](index, plan, i + 1, bottom, args)


def via_call(index, plan, i, bottom, args):
    return descend(index, plan, i, bottom, args)


def via_map(index, plan, i, bottom, args):
    def mapped(_):
        return descend(index, plan, i, bottom, args)
    return list(map(mapped, [0]))[0]


def via_gen(index, plan, i, bottom, args):
    def gen():
        yield descend(index, plan, i, bottom, args)
    g = gen()
    GENS.setdefault(index, []).append(g)
    return next(g)


class Holder:
    def __init__(self, index, plan, i, bottom, args):
        self.value = descend(index, plan, i, bottom, args)


def via_init(index, plan, i, bottom, args):
    return Holder(index, plan, i, bottom, args).value


def via_sorted(index, plan, i, bottom, args):
    out = []
    def key(x):
        if x == 0:
            out.append(descend(index, plan, i, bottom, args))
        return x
    sorted([1, 0], key=key)
    return out[0]


def random_plan(rng, depth):
    return [rng.choice(KINDS) for _ in range(depth)]
'''


def _descent_namespace():
    ns = {"__name__": "descent"}
    exec(compile(DESCENT, "<descent>", "exec"), ns)
    return ns


def test_nested_starts_raise_recursion_error():
    # Each tasklet starts the next from inside its run(): they run below
    # each other on one C stack, so the depth must carry over.
    proc = run_in_subprocess(r'''
        import sys
        from actors.greenlet import greenlet

        def f(n):
            return n and greenlet(f).switch(n - 1)

        def f_through_c(n):
            # one more C level per start: map() calls back into Python
            return n and list(map(lambda m: greenlet(f_through_c).switch(m),
                                  [n - 1]))[0]

        for fn in (f, f_through_c):
            try:
                greenlet(fn).switch(100_000)
            except RecursionError:
                print(fn.__name__, "RecursionError")
            else:
                print(fn.__name__, "no error")
        # the thread is still sane: a modest nesting completes
        print(greenlet(f).switch(50))
        sys.setrecursionlimit(200)
        try:
            greenlet(f).switch(1_000)
        except RecursionError:
            print("lower limit RecursionError")
    ''', timeout=120)
    assert_ok(proc, "f RecursionError\nf_through_c RecursionError\n0\n"
                    "lower limit RecursionError\n")


@pytest.mark.skipif(sys.version_info < (3, 12),
                    reason="CPython 3.11 has one recursion counter: a huge "
                           "limit lets plain recursion overflow the C stack")
def test_nested_starts_stop_at_the_c_recursion_limit():
    # With a Python limit far beyond what the C stack holds, the C-level
    # counter (3.12, 3.13) or the stack-bounds check (3.14+) must still
    # stop nested starts: each starts below the other on one C stack.
    proc = run_in_subprocess(r'''
        import sys
        from actors.greenlet import greenlet
        sys.setrecursionlimit(1_000_000)
        depth = [0]

        def f(n):
            depth[0] += 1
            return n and greenlet(f).switch(n - 1)

        try:
            greenlet(f).switch(100_000)
        except RecursionError:
            print("RecursionError", 10 < depth[0] < 100_000)
    ''', timeout=120)
    assert_ok(proc, "RecursionError True\n")


@pytest.mark.skipif(sys.version_info < (3, 14),
                    reason="CPython's remote unwinder (_remote_debugging, "
                           "behind its sampling profiler) is 3.14's")
def test_remote_unwinder_samples_code_running_in_a_tasklet():
    # The sampling profiler reads a thread's frame chain from outside the
    # process and rejects a chain that does not end where the thread's own
    # does (3.15: its base frame).  Code running in a tasklet must sample
    # as its own stack.
    proc = run_in_subprocess(r'''
        import subprocess, sys, textwrap, time
        import _remote_debugging
        child = textwrap.dedent("""
            import sys, time
            from actors.greenlet import greenlet
            def busy_in_tasklet():
                print("ready", flush=True)
                t0 = time.monotonic()
                while time.monotonic() - t0 < 20 and sys.stdin.readable():
                    pass
            def outer():
                busy_in_tasklet()
            greenlet(outer).switch()
        """)
        p = subprocess.Popen([sys.executable, "-c", child],
                             stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        unwinder = _remote_debugging.RemoteUnwinder(p.pid)
        seen = []
        for _ in range(10):
            threads = unwinder.get_stack_trace()
            if threads and hasattr(threads[0], "threads"):    # 3.15
                threads = threads[0].threads
            seen.append([f.funcname for f in threads[0].frame_info])
            time.sleep(0.02)
        p.kill(); p.wait()
        print(all(s[:2] == ["busy_in_tasklet", "outer"] for s in seen), seen[0])
    ''', timeout=60)
    assert_ok(proc, "True ['busy_in_tasklet', 'outer']\n")


def test_frames_of_many_suspended_tasklets_after_random_switching():
    # 2,000 tasklets parked at different depths (many levels called from
    # C, each with an entry frame on the tasklet's C stack) switch among
    # each other directly, so their stacks are saved and overwritten under
    # each other; the frames of every suspended one, read from main and
    # from inside other tasklets, must name exactly its own functions.
    proc = run_in_subprocess(DESCENT + r'''
rng = random.Random(12345)
N = 2000
main = getcurrent()
registry, plans, checks = [], [], [0]

def check(k):
    t = registry[k]
    if t is getcurrent():
        if t.gr_frame is not None:
            print("running tasklet has a gr_frame")
            sys.exit(5)
        return
    want = expected_names(plans[k], "park")
    got = names_of(t.gr_frame)
    if got != want:
        print("tasklet", k, "frames", got, "!=", want)
        sys.exit(3)
    for g in GENS.get(k, ()):
        # a generator running in a suspended tasklet: its f_back chain
        got = names_of(g.gi_frame)
        if got[-1] != "gen" or got != want[:len(got)]:
            print("tasklet", k, "generator frames", got)
            sys.exit(4)
    checks[0] += 1

def park(index):
    hops = main.switch(index)
    while hops is not None:
        if rng.random() < 0.05:
            check(rng.randrange(len(registry)))
        if hops:
            hops = registry[hops.pop()].switch(hops)
        else:
            hops = main.switch("chain done")
    return index

for i in range(N):
    plans.append(random_plan(rng, rng.randrange(0, 25)))
    t = greenlet(worker)
    registry.append(t)
    assert t.switch(i, plans[i], park) == i
for round in range(20_000):
    chain = [rng.randrange(N) for _ in range(rng.randint(1, 10))]
    chain = [x for j, x in enumerate(chain) if j == 0 or x != chain[j - 1]]
    assert registry[chain[0]].switch(list(reversed(chain[1:]))) == "chain done"
    if round % 2000 == 0:
        for k in range(N):
            check(k)
for k in range(N):
    check(k)
print("checked", checks[0] > 2 * N)
for k in range(N):
    assert registry[k].switch(None) == k and registry[k].dead
    assert registry[k].gr_frame is None
print("done")
''', timeout=300)
    assert_ok(proc, "checked True\ndone\n")


def _check_traceback_after_many_switches():
    ns = _descent_namespace()
    import random
    rng = random.Random(7)
    main = getcurrent()
    n = 50
    registry, plans = [], []
    inside = {}

    def park(index):
        hops = main.switch(index)
        while hops is not None:
            if hops == "raise":
                try:
                    raise ValueError(index)
                except ValueError:
                    # the stack as seen from inside the running tasklet
                    inside[index] = [fs.name for fs in traceback.extract_stack()]
                    raise
            if hops:
                hops = registry[hops.pop()].switch(hops)
            else:
                hops = main.switch("chain done")
        return index

    for i in range(n):
        plans.append(ns["random_plan"](rng, rng.randrange(1, 12)))
        t = greenlet(ns["worker"])
        registry.append(t)
        assert t.switch(i, plans[i], park) == i
    for _ in range(3000):
        chain = [rng.randrange(n) for _ in range(rng.randint(1, 6))]
        chain = [x for j, x in enumerate(chain) if j == 0 or x != chain[j - 1]]
        assert registry[chain[0]].switch(list(reversed(chain[1:]))) == \
            "chain done"
    for k in rng.sample(range(n), 10):
        try:
            registry[k].switch("raise")
        except ValueError as e:
            assert e.args == (k,)
            tb = [fs.name for fs in traceback.extract_tb(e.__traceback__)]
        else:
            raise AssertionError("no exception from tasklet %d" % k)
        want = ns["expected_names"](plans[k], "park")
        # main's own frame where switch() raised, then the whole tasklet
        assert tb == ["_check_traceback_after_many_switches"] + want, tb
        assert inside[k] == want
        assert registry[k].dead
    for k in range(n):
        if not registry[k].dead:
            assert registry[k].switch(None) == k


def _check_current_frames_and_getframe():
    ns = _descent_namespace()
    me = sys._getframe()
    main = getcurrent()
    tid = threading.get_ident()
    seen = {}

    def look(index):
        frame = sys._getframe()
        seen["getframe"] = frame.f_code.co_name
        seen["getframe1"] = sys._getframe(1).f_code.co_name
        seen["current"] = sys._current_frames()[tid] is frame
        seen["stack"] = [fs.name for fs in traceback.extract_stack()]
        seen["gr_frame_running"] = getcurrent().gr_frame
        main.switch()
        seen["after"] = [fs.name for fs in traceback.extract_stack()]
        seen["getframe_after"] = sys._getframe(0).f_code.co_name
        return "end"

    plan = ["call", "map", "gen", "init", "sorted", "call"]
    t = greenlet(ns["worker"])
    t.switch(0, plan, look)
    want = ns["expected_names"](plan, "look")
    assert seen["getframe"] == "look"
    assert seen["getframe1"] == "descend"
    assert seen["current"] is True
    assert seen["stack"] == want            # ends at the tasklet's bottom
    assert seen["gr_frame_running"] is None
    # back in main: main's frames, none of the tasklet's
    assert sys._getframe() is me
    assert sys._current_frames()[tid] is me
    main_stack = [fs.name for fs in traceback.extract_stack()]
    assert main_stack[-1] == "_check_current_frames_and_getframe"
    assert "look" not in main_stack and "worker" not in main_stack
    assert [fs.name for fs in traceback.extract_stack(t.gr_frame)] == want
    # more tasklets run in between; the parked one keeps its frames
    others = [greenlet(ns["worker"]) for _ in range(20)]
    for i, o in enumerate(others):
        o.switch(i, ["map"] * i, lambda index: main.switch())
    assert [fs.name for fs in traceback.extract_stack(t.gr_frame)] == want
    assert t.switch() == "end"
    assert seen["after"] == want and seen["getframe_after"] == "look"
    assert t.gr_frame is None and t.dead
    for o in others:
        o.switch()
        assert o.dead


def _check_current_frames_of_another_thread():
    # Another thread reads the frames of a tasklet while it runs (blocked
    # in a wait): its chain goes down to the tasklet's first frame.
    ns = _descent_namespace()
    ready, release = threading.Event(), threading.Event()
    result = {}

    def blocked(index):
        ready.set()
        release.wait(30)
        return "ok"

    plan = ["map", "gen", "call", "init"]

    def thread_main():
        parked = greenlet(ns["worker"])
        # a parked tasklet first, so the running one is not the first
        parked.switch(1, ["map", "map"],
                      lambda index: getcurrent().parent.switch())
        result["value"] = greenlet(ns["worker"]).switch(0, plan, blocked)
        parked.switch()

    th = threading.Thread(target=thread_main)
    th.start()
    try:
        assert ready.wait(30)
        frame = sys._current_frames()[th.ident]
        names = [fs.name for fs in traceback.extract_stack(frame)]
    finally:
        release.set()
        th.join(30)
    # the wait's own frames on top, the tasklet's below, nothing else
    want = ns["expected_names"](plan, "blocked")
    assert names[:len(want)] == want, names
    assert "thread_main" not in names
    assert result["value"] == "ok"



def _run_check(name):
    # In a child: walking frames wrongly is a segfault.
    proc = run_in_subprocess("import test_tasklet_frames as m\n"
                             "m.%s()\nprint('ok')\n" % name, timeout=120)
    assert_ok(proc, "ok\n")


def test_traceback_of_exception_raised_after_many_switches_is_complete():
    # The traceback from main's switch() through the whole tasklet, and the
    # stack seen from inside it, after thousands of switches.
    _run_check("_check_traceback_after_many_switches")


def test_current_frames_and_getframe_inside_tasklets():
    _run_check("_check_current_frames_and_getframe")


def test_current_frames_of_a_thread_running_a_tasklet():
    _run_check("_check_current_frames_of_another_thread")


def test_deep_deallocation_switching_from_finalizers():
    # Freeing a deep structure goes through CPython's trashcan (nesting
    # count, deferred objects): finalizers deep inside switch to another
    # tasklet that frees deep structures of its own before switching back.
    # Every object must be finalized exactly once, and both tasklets end.
    proc = run_in_subprocess(r'''
        from actors.greenlet import greenlet, getcurrent
        created, finalized = [0], []
        rounds = [0]

        class Counted:
            def __init__(self):
                created[0] += 1
            def __del__(self):
                finalized.append(1)

        class Switcher(Counted):
            def __init__(self, other):
                Counted.__init__(self)
                self.other = other
            def __del__(self):
                Counted.__del__(self)
                if getcurrent() is not self.other:
                    self.other.switch(getcurrent())

        def nest(depth, leaves):
            x = []
            for i in range(depth):
                x = [x, leaves.get(i)]
            return x

        def other_run(origin):
            while origin is not None:
                rounds[0] += 1
                d = nest(3000, {i: Counted() for i in range(0, 3000, 100)})
                del d
                origin = origin.switch()
            return "other done"

        other = greenlet(other_run)

        def first(depth):
            leaves = {i: Switcher(other) for i in range(0, depth, 97)}
            for i in range(1, depth, 89):
                leaves.setdefault(i, Counted())
            d = nest(depth, leaves)
            del leaves
            del d                          # switches to `other` many times
            return "first done"

        print(greenlet(first).switch(20_000), other.switch(None))
        print(len(finalized) == created[0], rounds[0] > 100)
    ''', timeout=120)
    assert_ok(proc, "first done other done\nTrue True\n")
