"""Backend selection for the tasklet test suite.

The tasklet backend is fixed when ``actors`` is first imported (see
``actors/_backend.py``), so one pytest process tests one backend:

* ``pytest`` alone tests the default backend: the native core when it is
  built, else the same runtime over the greenlet package;
* ``pytest --backend=greenlet`` (or ``--backend=native``, or
  ``ACTORS_BACKEND`` in the environment, which CI sets to run the whole
  suite again) picks the backend before any test module imports ``actors``;
  both backends carry the whole product, so the whole suite runs on each
  except the tests marked ``native_only`` (stack slicing, memory per parked
  tasklet, valgrind...), skipped on greenlet with their reason;
* ``test_backends.py`` re-runs the core tasklet modules and the runtime
  modules in a subprocess on every *other* available backend, so a plain
  ``pytest`` run proves them on both;
* ``ACTORS_REQUIRE_NATIVE=1`` turns a silent fallback to greenlet into a
  session error (for CI, where the native core must have been built).
* under ``CI=true`` a cluster test (``test_cluster_*``) that skips fails
  instead, at collection (a missing zmq) or in the test (no root for the
  network namespaces): in CI the environment must be there, and a skip
  would hide that the test never ran.  The one exception is a documented
  platform skip, whose reason starts with ``PLATFORM_SKIP`` ("platform:"):
  a test of something the platform does not have (network namespaces
  outside Linux).

The backend in use is printed in the pytest header.
"""
import os

import pytest

BACKENDS = ("native", "greenlet")

# The modules test_backends.py re-runs on the other backend(s).
CORE_MODULES = (
    "test_tasklet_switch.py",
    "test_tasklet_exceptions.py",
    "test_tasklet_lifecycle.py",
    "test_tasklet_context.py",
    "test_tasklet_trace.py",
    "test_tasklet_threads.py",
)

# The actor runtime's modules, also re-run there on the other backend.
RUNTIME_MODULES = (
    "test_actors_basic.py",
    "test_actors_ask.py",
    "test_actors_links.py",
    "test_actors_receive.py",
    "test_actors_registry.py",
    "test_actors_timers.py",
    "test_actors_mailbox.py",
    "test_actors_threads.py",
    "test_supervisor.py",
    "test_hardening_time.py",
    "test_hardening_loop.py",
    "test_hardening_fork.py",
    "test_cluster_basic.py",
    "test_fallback.py",
    "test_observe.py",
    "test_trace.py",
)


PLATFORM_SKIP = "platform:"
CLUSTER_PREFIX = "test_cluster_"


def _in_ci():
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason[len("Skipped: "):] if reason.startswith("Skipped: ") \
        else reason


def _must_not_skip(path, report):
    """A cluster test's skip under CI=true, other than a platform's."""
    return (report.skipped and not hasattr(report, "wasxfail") and _in_ci()
            and os.path.basename(str(path)).startswith(CLUSTER_PREFIX)
            and not _skip_reason(report).startswith(PLATFORM_SKIP))


def _fail_the_skip(report):
    report.longrepr = ("CI=true: a cluster test may not skip (set up its "
                       "environment, or skip with a reason starting with %r "
                       "where the platform lacks it): %s"
                       % (PLATFORM_SKIP, _skip_reason(report)))
    report.outcome = "failed"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _must_not_skip(item.path, report):
        _fail_the_skip(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if _must_not_skip(getattr(collector, "path", ""), report):
        _fail_the_skip(report)


def pytest_addoption(parser):
    parser.addoption(
        "--backend", choices=BACKENDS, default=None,
        help="tasklet backend to test (sets ACTORS_BACKEND before actors "
             "is imported); default: whatever actors picks")


def pytest_configure(config):
    choice = config.getoption("--backend")
    if choice:
        os.environ["ACTORS_BACKEND"] = choice
    config.addinivalue_line(
        "markers", "slow: long-running stress or valgrind test")
    config.addinivalue_line(
        "markers", "native_only(reason): tests what only the native core "
        "has; skipped on the greenlet backend")


MATRIX_MODULE = "test_interpreters.py"


def _is_matrix(item):
    return os.path.basename(str(item.path)) == MATRIX_MODULE


def pytest_collection_modifyitems(config, items):
    # The other interpreters' cases run in the background while the rest
    # runs (test_interpreters.py): their tests, which wait for them, last.
    items[:] = ([i for i in items if not _is_matrix(i)]
                + [i for i in items if _is_matrix(i)])
    import actors
    if actors.BACKEND == "native":
        return
    for item in items:
        mark = item.get_closest_marker("native_only")
        if mark is not None:
            why = mark.kwargs.get("reason") or (mark.args[0] if mark.args
                                                else "native core only")
            item.add_marker(pytest.mark.skip(
                reason="native only (%s backend): %s" % (actors.BACKEND, why)))


def pytest_collection_finish(session):
    matrix = [i for i in session.items if _is_matrix(i)]
    if (matrix and not session.config.option.collectonly
            and not session.testsfailed):         # (collection errors)
        module = matrix[0].module
        labels = {i.callspec.params["label"] for i in matrix
                  if hasattr(i, "callspec")}
        module.start_matrix(module.EARLY_JOBS, labels)


def pytest_sessionfinish(session):
    for item in session.items:
        if _is_matrix(item):
            item.module.stop_matrix()
            break


def pytest_sessionstart(session):
    import actors
    if (os.environ.get("ACTORS_REQUIRE_NATIVE") == "1"
            and actors.BACKEND != "native"):
        raise pytest.UsageError(
            "ACTORS_REQUIRE_NATIVE=1 but actors uses the %r backend "
            "(native core not built or not importable)" % actors.BACKEND)


def pytest_report_header(config):
    import actors
    return "actors backend: %s (actors from %s)" % (
        actors.BACKEND, os.path.dirname(actors.__file__))


@pytest.fixture(autouse=True)
def _tasklet_state_is_clean():
    """Every test must leave the thread in its main tasklet, untraced."""
    from actors import greenlet as gmod
    main = gmod.getcurrent()
    yield
    trace = gmod.gettrace()
    if trace is not None:
        gmod.settrace(None)
    assert gmod.getcurrent() is main, "test left the thread in another tasklet"
    assert trace is None, "test left a tasklet trace function installed"


@pytest.fixture
def backend():
    import actors
    return actors.BACKEND
