"""Frame chains of suspended tasklets: walking f_back from a suspended
tasklet's frames must never read C-stack bytes another tasklet has taken
over (3.12+ keeps the interpreter's entry frames on the C stack)."""
import sys
import traceback

from actors.greenlet import getcurrent, greenlet


def _park_inside_c_reentry(depth):
    """Suspend with C->Python re-entries in the chain: sorted() calls the
    key function from C, which re-enters the interpreter."""
    def key(x):
        if x == 0:
            if depth:
                return _park_inside_c_reentry(depth - 1)
            getcurrent().parent.switch("parked")
        return x
    sorted([1, 0], key=key)
    return 0


def _names(frame):
    out = []
    while frame is not None:
        out.append(frame.f_code.co_name)
        frame = frame.f_back
    return out


def _churn(n):
    """Run other tasklets deep on the C stack, overwriting whatever a
    suspended tasklet's slice held there."""
    def deep(k):
        if k:
            return deep(k - 1)
        return sorted(range(50), key=lambda x: -x)[0]
    for _ in range(n):
        g = greenlet(deep)
        assert g.switch(60) == 49


def test_walk_suspended_chain_after_others_ran():
    parked = []
    for depth in range(4):
        g = greenlet(_park_inside_c_reentry)
        assert g.switch(depth) == "parked"
        parked.append((depth, g))
    _churn(20)
    for depth, g in parked:
        names = _names(g.gr_frame)
        assert names[0] == "key"
        assert names.count("_park_inside_c_reentry") == depth + 1
        # the chain ends at the tasklet's first frame, not in its starter
        assert names[-1] == "_park_inside_c_reentry"
        assert "test_walk_suspended_chain_after_others_ran" not in names
        traceback.format_stack(g.gr_frame)
    for depth, g in parked:
        g.switch()
        assert g.dead


def test_frame_kept_from_a_suspended_tasklet():
    """A frame object taken while running, walked while suspended."""
    kept = []

    def inner():
        kept.append(sys._getframe())
        getcurrent().parent.switch()
        return len(_names(sys._getframe()))  # intact again once resumed

    def outer():
        return [inner() for _ in range(1)][0]

    g = greenlet(lambda: sorted([2, 1], key=lambda x: outer() if x == 1 else x))
    g.switch()
    _churn(5)
    names = _names(kept[0])
    assert names[0] == "inner" and "outer" in names
    assert names[-1] == "<lambda>"       # the tasklet's first frame
    g.switch()
    assert g.dead


def test_traceback_through_switches():
    def fail():
        getcurrent().parent.switch()
        raise ValueError("x")

    g = greenlet(lambda: sorted([1, 0], key=lambda x: fail() if x == 0 else x))
    g.switch()
    _churn(3)
    try:
        g.switch()
    except ValueError as e:
        text = "".join(traceback.format_exception(e))
        assert "fail" in text
    else:
        raise AssertionError("no exception")


def test_current_frames_inside_tasklet():
    seen = []

    def run():
        f = sys._current_frames()[__import__("threading").get_ident()]
        seen.append(_names(f))
        getcurrent().parent.switch()

    g = greenlet(run)
    g.switch()
    assert seen[0][0] == "run"
    _churn(2)
    g.switch()


def test_nested_starts_raise_recursion_error():
    def f(n):
        return n and greenlet(f).switch(n - 1)

    try:
        greenlet(f).switch(100_000)
    except RecursionError:
        pass
    else:
        raise AssertionError("no RecursionError")
    # and the thread is still usable afterwards
    assert greenlet(lambda: 7).switch() == 7
