"""Tasklet switch tracing (settrace/gettrace) and sys.settrace inside tasklets."""
import sys
import threading

import pytest

from actors import greenlet as gmod
from actors.greenlet import getcurrent, greenlet


class Recorder:
    def __init__(self, names):
        self.names = names        # {id(tasklet): name}
        self.events = []

    def __call__(self, event, args):
        origin, target = args
        self.events.append((event, self.names.get(id(origin), origin),
                            self.names.get(id(target), target)))


def test_settrace_returns_previous_and_gettrace_reports_current():
    assert gmod.gettrace() is None
    first = Recorder({})
    second = Recorder({})
    assert gmod.settrace(first) is None
    assert gmod.gettrace() is first
    assert gmod.settrace(second) is first
    assert gmod.gettrace() is second
    assert gmod.settrace(None) is second
    assert gmod.gettrace() is None


def test_switch_events_with_origin_and_target():
    def run():
        getcurrent().parent.switch()

    g = greenlet(run)
    rec = Recorder({id(getcurrent()): "main", id(g): "g"})
    gmod.settrace(rec)
    try:
        g.switch()          # start
        g.switch()          # resume; run returns -> back to main
    finally:
        gmod.settrace(None)
    assert rec.events == [("switch", "main", "g"), ("switch", "g", "main"),
                          ("switch", "main", "g"), ("switch", "g", "main")]


def test_throw_event():
    def run():
        getcurrent().parent.switch()

    g = greenlet(run)
    g.switch()
    rec = Recorder({id(getcurrent()): "main", id(g): "g"})
    gmod.settrace(rec)
    try:
        g.throw()
    finally:
        gmod.settrace(None)
    assert rec.events == [("throw", "main", "g"), ("switch", "g", "main")]


def test_trace_between_siblings():
    def a_run():
        b.switch()

    def b_run():
        getcurrent().parent.switch()

    a = greenlet(a_run)
    b = greenlet(b_run)
    rec = Recorder({id(getcurrent()): "main", id(a): "a", id(b): "b"})
    gmod.settrace(rec)
    try:
        a.switch()
    finally:
        gmod.settrace(None)
    assert rec.events == [("switch", "main", "a"), ("switch", "a", "b"),
                          ("switch", "b", "main")]


def test_no_events_after_settrace_none():
    rec = Recorder({})
    gmod.settrace(rec)
    gmod.settrace(None)
    greenlet(lambda: None).switch()
    assert rec.events == []


def test_trace_function_is_per_thread():
    rec = Recorder({})
    other = []

    def thread_main():
        other.append(gmod.gettrace())
        greenlet(lambda: None).switch()

    gmod.settrace(rec)
    try:
        t = threading.Thread(target=thread_main)
        t.start()
        t.join()
    finally:
        gmod.settrace(None)
    assert other == [None]
    assert rec.events == []


def test_trace_event_when_suspended_tasklet_is_collected():
    import gc

    def run():
        getcurrent().parent.switch()

    g = greenlet(run)
    g.switch()
    gid = id(g)
    rec = Recorder({id(getcurrent()): "main", gid: "g"})
    gmod.settrace(rec)
    try:
        del g
        gc.collect()
    finally:
        gmod.settrace(None)
    assert ("throw", "main", "g") in rec.events


def _line_numbers(code):
    return {line for _, _, line in code.co_lines() if line is not None}


def test_sys_settrace_line_events_inside_tasklet():
    events = []

    def tracer(frame, event, arg):
        if frame.f_code is run.__code__:
            events.append((event, frame.f_lineno - run.__code__.co_firstlineno))
        return tracer

    def run():
        a = 1
        getcurrent().parent.switch()
        b = 2
        return a + b

    g = greenlet(run)
    sys.settrace(tracer)
    try:
        g.switch()
        g.switch()
    finally:
        sys.settrace(None)
    assert g.dead
    assert events == [("call", 0), ("line", 1), ("line", 2), ("line", 3),
                      ("line", 4), ("return", 4)]


def test_sys_settrace_set_inside_tasklet_sees_later_frames():
    calls = []

    def tracer(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)
        return None

    def traced_helper():
        return 1

    def run():
        sys.settrace(tracer)
        try:
            getcurrent().parent.switch()
            return traced_helper()
        finally:
            sys.settrace(None)

    g = greenlet(run)
    try:
        g.switch()
        g.switch()
    finally:
        sys.settrace(None)
    assert g.dead
    # sys.settrace is thread-wide state: installed inside the tasklet, it
    # still traces the tasklet's calls after a round trip through main
    assert "traced_helper" in calls
    assert sys.gettrace() is None


def test_sys_setprofile_inside_tasklet():
    seen = []

    def profiler(frame, event, arg):
        if frame.f_code.co_name == "profiled":
            seen.append(event)

    def profiled():
        return getcurrent().parent.switch()

    g = greenlet(profiled)
    sys.setprofile(profiler)
    try:
        g.switch()
        g.switch("back")
    finally:
        sys.setprofile(None)
    assert seen[0] == "call" and seen[-1] == "return"
