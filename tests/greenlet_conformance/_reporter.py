"""pytest plugin the harness loads into each child run (``-p _reporter``).

It appends one JSON line per event to the file named by
``GLCONF_REPORT`` and flushes at once, so that when a child crashes or
hangs the harness still knows every finished result and which test was
running.  Events::

    {"ev": "start", "id": NODEID}
    {"ev": "done", "id": NODEID, "outcome": "passed|failed|skipped", "text": ...}
    {"ev": "collect_error", "id": NODEID, "text": ...}

``GLCONF_DESELECT`` names a file of test ids (one per line) not to run.
"""
import faulthandler
import json
import os

_path = os.environ.get("GLCONF_REPORT")
_fh = open(_path, "a", encoding="utf-8") if _path else None
_state = {}      # nodeid -> (outcome, text) accumulated over the phases
_MAX_TEXT = 6000
# Per-test watchdog: dump the stacks and exit the child if one test runs
# longer than this (the harness then records it as "crashed"/hung).
_TEST_TIMEOUT = float(os.environ.get("GLCONF_TEST_TIMEOUT", "0") or 0)
# pytest captures fd 2 during a test, so the watchdog writes its stack dump
# to a file of its own, next to the report.
_hang = open(_path + ".hang", "w") if (_path and _TEST_TIMEOUT > 0) else None


def _load_deselected():
    name = os.environ.get("GLCONF_DESELECT")
    if not name:
        return ()
    with open(name, encoding="utf-8") as f:
        return tuple(line.strip() for line in f if line.strip())


_DESELECT = _load_deselected()


def _deselected(nodeid):
    # Exact ids, or a module / class prefix ending at a '::'; pytest's own
    # --deselect matches any prefix, so that deselecting test_x would take
    # test_x_wait with it.
    return any(nodeid == d or nodeid.startswith(d + "::") for d in _DESELECT)


def pytest_collection_modifyitems(config, items):
    if _DESELECT:
        gone = [i for i in items if _deselected(i.nodeid)]
        if gone:
            items[:] = [i for i in items if not _deselected(i.nodeid)]
            config.hook.pytest_deselected(items=gone)


def _emit(**rec):
    if _fh is not None:
        _fh.write(json.dumps(rec) + "\n")
        _fh.flush()
        os.fsync(_fh.fileno())


def pytest_collectreport(report):
    if report.failed:
        _emit(ev="collect_error", id=report.nodeid,
              text=str(report.longrepr)[-_MAX_TEXT:])


def pytest_runtest_logstart(nodeid, location):
    _state.pop(nodeid, None)
    _emit(ev="start", id=nodeid)
    if _TEST_TIMEOUT > 0:
        faulthandler.dump_traceback_later(_TEST_TIMEOUT, exit=True,
                                          file=_hang)


def pytest_runtest_logreport(report):
    outcome, text = _state.get(report.nodeid, ("passed", ""))
    if report.failed:
        if outcome != "failed":
            text = ""
        outcome = "failed"
        text += "[%s] %s\n" % (report.when, str(report.longrepr)[-_MAX_TEXT:])
    elif report.skipped and outcome == "passed":
        outcome = "skipped"
        lr = report.longrepr
        text = str(lr[2] if isinstance(lr, tuple) else lr)
    _state[report.nodeid] = (outcome, text)
    if report.when == "teardown":
        if _TEST_TIMEOUT > 0:
            faulthandler.cancel_dump_traceback_later()
        _emit(ev="done", id=report.nodeid, outcome=outcome, text=text)
