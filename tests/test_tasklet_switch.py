"""switch(): argument and return conventions, parents, nesting, recursion."""
import sys

import pytest

import actors
from actors import greenlet as gmod
from actors.greenlet import getcurrent, greenlet


def _echo():
    """Run function that bounces every value it receives back to its parent."""
    value = getcurrent().parent.switch()
    while True:
        value = getcurrent().parent.switch(value)


def test_module_surface_matches_actors():
    # The drop-in's type is Tasklet under greenlet's name (native core), or
    # greenlet's own (where Tasklet is greenlet's).
    assert issubclass(gmod.greenlet, actors.Tasklet)
    assert gmod.greenlet.__name__ == "greenlet"
    assert gmod.GreenletExit is actors.TaskletExit
    assert gmod.error is actors.TaskletError
    assert gmod.getcurrent() is actors.getcurrent()
    assert actors.BACKEND in ("native", "greenlet")
    assert issubclass(gmod.GreenletExit, BaseException)
    assert not issubclass(gmod.GreenletExit, Exception)
    assert issubclass(gmod.error, Exception)


def test_first_switch_calls_run_with_args_and_kwargs():
    seen = []

    def run(*args, **kwargs):
        seen.append((args, kwargs))

    greenlet(run).switch(1, "two", three=3)
    assert seen == [((1, "two"), {"three": 3})]


def test_first_switch_without_args_calls_run_without_args():
    seen = []
    greenlet(lambda *a, **k: seen.append((a, k))).switch()
    assert seen == [((), {})]


def test_return_value_of_run_goes_to_parent():
    marker = object()
    g = greenlet(lambda: marker)
    assert g.switch() is marker
    assert g.dead


def test_run_returning_none_gives_none():
    assert greenlet(lambda: None).switch() is None


def test_run_returning_tuple_is_passed_unchanged():
    assert greenlet(lambda: (1, 2)).switch() == (1, 2)
    assert greenlet(lambda: ()).switch() == ()


@pytest.mark.parametrize("args, kwargs, expected", [
    ((), {}, ()),
    ((1,), {}, 1),
    ((None,), {}, None),
    (((),), {}, ()),
    ((1, 2), {}, (1, 2)),
    ((1, 2, 3), {}, (1, 2, 3)),
    ((), {"a": 1}, {"a": 1}),
    ((), {"a": 1, "b": 2}, {"a": 1, "b": 2}),
    ((1,), {"a": 2}, ((1,), {"a": 2})),
    ((1, 2), {"a": 3}, ((1, 2), {"a": 3})),
])
def test_switch_value_conventions_both_directions(args, kwargs, expected):
    # main -> tasklet: what switch() returns inside the tasklet
    received = []

    def run():
        received.append(getcurrent().parent.switch())
        getcurrent().parent.switch(*args, **kwargs)

    g = greenlet(run)
    g.switch()
    # tasklet -> main: what the tasklet's switch(*args, **kwargs) returns here
    back = g.switch(*args, **kwargs)
    assert received == [expected]
    assert back == expected
    assert type(back) is type(expected)


def test_switch_to_current_returns_its_arguments():
    assert getcurrent().switch() == ()
    assert getcurrent().switch(5) == 5
    assert getcurrent().switch(5, 6) == (5, 6)
    assert getcurrent().switch(x=1) == {"x": 1}


def test_echo_tasklet_bounces_values():
    g = greenlet(_echo)
    g.switch()
    for value in (0, "s", [1], None, 2.5):
        assert g.switch(value) == value
    assert not g.dead


def test_ping_pong_many_switches():
    n = 20000

    def run():
        total = 0
        main = getcurrent().parent
        while True:
            value = main.switch(total)
            if value is None:
                return total
            total += value

    g = greenlet(run)
    g.switch()
    for i in range(n):
        assert g.switch(i) == i * (i + 1) // 2
    assert g.switch(None) == n * (n - 1) // 2
    assert g.dead


def test_getcurrent_inside_run_is_the_tasklet():
    main = getcurrent()
    inside = []
    g = greenlet(lambda: inside.append(getcurrent()))
    g.switch()
    assert inside == [g]
    assert getcurrent() is main


def test_main_tasklet_properties():
    main = getcurrent()
    assert main.parent is None
    assert bool(main)
    assert not main.dead
    assert main.gr_frame is None     # it is running


def test_default_parent_is_the_creating_tasklet():
    main = getcurrent()
    made = []

    def outer():
        inner = greenlet(lambda: "inner done")
        made.append(inner)
        return ("outer got", inner.switch())

    g = greenlet(outer)
    assert g.parent is main
    assert g.switch() == ("outer got", "inner done")
    assert made[0].parent is g


def test_explicit_parent_in_constructor():
    p = greenlet(_echo)
    g = greenlet(lambda: "x", parent=p)
    assert g.parent is p
    g2 = greenlet(lambda: "x", p)   # positional: greenlet(run, parent)
    assert g2.parent is p


def test_return_goes_to_parent_not_to_switcher():
    """g2's parent is main; g1 switches to g2; g2's return lands in main."""
    main = getcurrent()
    log = []

    def second():
        log.append("second")
        return "from second"

    g2 = greenlet(second, parent=main)

    def first():
        log.append("first")
        g2.switch()
        log.append("first resumed")   # never happens

    g1 = greenlet(first)
    assert g1.switch() == "from second"
    assert log == ["first", "second"]
    assert g2.dead and not g1.dead and g1


def test_siblings_switch_directly_without_main():
    main = getcurrent()
    trail = []

    def a_run(n):
        while n:
            trail.append(("a", n))
            n = b.switch(n - 1)
        return "a finished"

    def b_run(n):
        while n:
            trail.append(("b", n))
            n = a.switch(n - 1)
        main.switch("b finished")

    a = greenlet(a_run)
    b = greenlet(b_run)
    result = a.switch(6)
    assert trail == [("a", 6), ("b", 5), ("a", 4), ("b", 3), ("a", 2),
                     ("b", 1)]
    # b's a.switch(0) resumed a with 0: a's run returned to its parent, main
    assert result == "a finished"
    assert a.dead and b and not b.dead
    assert b.switch(0) == "b finished"
    assert b and not b.dead


def test_deep_python_recursion_inside_tasklet():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 20000))
    try:
        def down(n):
            return 0 if n == 0 else 1 + down(n - 1)

        g = greenlet(lambda: down(5000))
        assert g.switch() == 5000
    finally:
        sys.setrecursionlimit(old)


def _recurse_and_park(depth, tag):
    """Recurse ``depth`` levels keeping per-level locals, park at the bottom."""
    here = [tag, depth]
    weight = depth * 1.5
    if depth == 0:
        resumed_with = getcurrent().parent.switch(("bottom", tag))
        return [resumed_with]
    below = _recurse_and_park(depth - 1, tag)
    assert here == [tag, depth] and weight == depth * 1.5
    below.append(depth)
    return below


def test_recursion_that_switches_at_the_bottom_and_resumes():
    g = greenlet(_recurse_and_park)
    assert g.switch(100, "g") == ("bottom", "g")
    assert g.gr_frame.f_code is _recurse_and_park.__code__
    result = g.switch("resume")
    assert result == ["resume"] + list(range(1, 101))
    assert g.dead


def test_interleaved_recursive_tasklets_keep_their_stacks():
    tasklets = [greenlet(_recurse_and_park) for _ in range(5)]
    for i, g in enumerate(tasklets):
        assert g.switch(20 * (i + 1), i) == ("bottom", i)
    # resume in a different order than they parked
    for i in (3, 0, 4, 2, 1):
        assert tasklets[i].switch(i * 10) == [i * 10] + list(
            range(1, 20 * (i + 1) + 1))


def test_recursion_depth_is_per_tasklet():
    """A tasklet parked 700 frames deep does not eat main's recursion budget."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        def down(n):
            if n == 0:
                return getcurrent().parent.switch()
            return down(n - 1)

        def plain(n):
            return 0 if n == 0 else plain(n - 1)

        g = greenlet(lambda: down(700))
        g.switch()
        assert plain(700) == 0          # would raise RecursionError if shared
        g.switch()
        assert g.dead
    finally:
        sys.setrecursionlimit(old)


def test_many_tasklets_run_to_completion_in_sequence():
    total = 0
    for i in range(20000):
        total += greenlet(lambda i=i: i * 2).switch()
    assert total == 2 * sum(range(20000))


def test_switching_inside_generator_and_comprehension():
    def gen():
        for i in range(3):
            got = getcurrent().parent.switch(("gen", i))
            yield got * 2

    def run():
        return [x + 1 for x in gen()]

    g = greenlet(run)
    assert g.switch() == ("gen", 0)
    assert g.switch(10) == ("gen", 1)
    assert g.switch(20) == ("gen", 2)
    assert g.switch(30) == [21, 41, 61]


def test_switching_inside_with_and_finally_blocks():
    log = []

    class Ctx:
        def __enter__(self):
            log.append("enter")
            getcurrent().parent.switch("in enter")
            return self

        def __exit__(self, *exc):
            log.append("exit")
            getcurrent().parent.switch("in exit")

    def run():
        try:
            with Ctx():
                log.append("body")
        finally:
            log.append("finally")
            getcurrent().parent.switch("in finally")
        return "done"

    g = greenlet(run)
    assert g.switch() == "in enter"
    assert g.switch() == "in exit"
    assert g.switch() == "in finally"
    assert g.switch() == "done"
    assert log == ["enter", "body", "exit", "finally"]


def test_switch_args_are_not_leaked():
    payload = object()
    base = sys.getrefcount(payload)
    g = greenlet(_echo)
    g.switch()
    for _ in range(1000):
        assert g.switch(payload) is payload
    g.switch(None)      # the tasklet now holds None, not payload
    assert sys.getrefcount(payload) == base
    for _ in range(200):
        g.switch(payload, k=payload)
    g.switch(None)
    assert sys.getrefcount(payload) == base
