"""Per-tasklet contextvars context and the gr_context attribute."""
import contextvars

import pytest

from actors.greenlet import getcurrent, greenlet

VAR = contextvars.ContextVar("VAR", default="default")


@pytest.fixture(autouse=True)
def _main_value():
    token = VAR.set("main")
    yield
    VAR.reset(token)


def test_new_tasklet_starts_with_an_empty_context():
    # like greenlet: a new tasklet does not inherit its creator's context
    assert greenlet(VAR.get).switch() == "default"


def test_value_set_in_tasklet_not_seen_in_main():
    def run():
        VAR.set("tasklet")
        getcurrent().parent.switch(VAR.get())
        return VAR.get()

    g = greenlet(run)
    assert g.switch() == "tasklet"
    assert VAR.get() == "main"
    assert g.switch() == "tasklet"      # kept across the switch
    assert VAR.get() == "main"


def test_value_set_in_main_while_tasklet_parked_not_seen_in_tasklet():
    def run():
        VAR.set("mine")
        getcurrent().parent.switch()
        return VAR.get()

    g = greenlet(run)
    g.switch()
    VAR.set("main changed")
    assert g.switch() == "mine"
    assert VAR.get() == "main changed"


def test_two_tasklets_interleaved_are_isolated():
    def make(name):
        def run():
            seen = []
            for i in range(5):
                VAR.set("%s-%d" % (name, i))
                getcurrent().parent.switch()
                seen.append(VAR.get())
            return seen
        return run

    a, b = greenlet(make("a")), greenlet(make("b"))
    results = {}
    for _ in range(5):
        a.switch()
        b.switch()
    results["a"] = a.switch()
    results["b"] = b.switch()
    assert results == {"a": ["a-%d" % i for i in range(5)],
                       "b": ["b-%d" % i for i in range(5)]}
    assert VAR.get() == "main"


def test_gr_context_none_before_start():
    assert greenlet(VAR.get).gr_context is None


def test_gr_context_set_before_start_is_used():
    g = greenlet(VAR.get)
    g.gr_context = contextvars.copy_context()     # carries VAR == "main"
    assert g.switch() == "main"

    ctx = contextvars.Context()
    ctx.run(VAR.set, "from ctx")
    g = greenlet(VAR.get)
    g.gr_context = ctx
    assert g.gr_context is ctx
    assert g.switch() == "from ctx"


def test_gr_context_of_suspended_tasklet_reflects_its_values():
    def run():
        VAR.set("inside")
        getcurrent().parent.switch()

    g = greenlet(run)
    g.switch()
    ctx = g.gr_context
    assert isinstance(ctx, contextvars.Context)
    assert ctx[VAR] == "inside"
    g.switch()


def test_gr_context_replaced_on_suspended_tasklet():
    def run():
        VAR.set("before")
        getcurrent().parent.switch()
        return VAR.get()

    g = greenlet(run)
    g.switch()
    ctx = contextvars.Context()
    ctx.run(VAR.set, "replaced")
    g.gr_context = ctx
    assert g.switch() == "replaced"


def test_gr_context_of_current_tasklet():
    main = getcurrent()
    assert main.gr_context[VAR] == "main"
    saved = main.gr_context
    ctx = contextvars.Context()
    ctx.run(VAR.set, "swapped in")
    main.gr_context = ctx
    try:
        assert VAR.get() == "swapped in"
    finally:
        main.gr_context = saved
    assert VAR.get() == "main"


@pytest.mark.parametrize("bad", [1, "ctx", {}, object()])
def test_gr_context_must_be_a_context(bad):
    g = greenlet(VAR.get)
    with pytest.raises(TypeError):
        g.gr_context = bad
    assert g.gr_context is None


def test_context_run_inside_tasklet_across_switches():
    def run():
        ctx = contextvars.copy_context()

        def inner():
            VAR.set("in ctx.run")
            getcurrent().parent.switch("parked in ctx.run")
            return VAR.get()

        return ctx.run(inner), VAR.get()

    g = greenlet(run)
    assert g.switch() == "parked in ctx.run"
    assert VAR.get() == "main"
    assert g.switch() == ("in ctx.run", "default")


def test_many_tasklets_each_own_value():
    def run(i):
        VAR.set(i)
        getcurrent().parent.switch()
        return VAR.get()

    tasklets = [greenlet(run) for _ in range(500)]
    for i, g in enumerate(tasklets):
        g.switch(i)
    assert [g.switch() for g in reversed(tasklets)] == list(range(499, -1, -1))
