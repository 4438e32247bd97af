"""The command line: ``python -m actors stress`` and friends.

``actors stress`` is the actor job (both styles, every summary line, and
that a lost message or actor fails it); ``actors stress --tasklets`` the
raw tasklet job.

Each command runs in a subprocess on the installed package, on whichever
backend is the default here (the native core when it is built).
"""
import importlib.util
import os
import re
import subprocess
import sys

import pytest

import actors
from actors import _cli, _stress

TIMEOUT = 240


def run_actors(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "actors"] + list(args),
        capture_output=True, text=True, timeout=TIMEOUT,
        env=dict(os.environ, **(env or {})),
        cwd=os.path.dirname(os.path.abspath(__file__)))


def summary(stdout):
    """The ``key: value`` lines of the stress summary, as a dict."""
    out = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def native_available():
    return importlib.util.find_spec("actors._core") is not None


needs_runtime = pytest.mark.skipif(
    not hasattr(actors, "run"), reason="no actor runtime")

SUMMARY_KEYS = [
    "style", "count", "messages per actor", "spawn", "spawn rate",
    "messages", "messages per second", "RSS per actor", "peak RSS",
    "shutdown", "total time", "gc", "backend", "result",
]


def number(text):
    return int(text.replace(",", ""))


def check_actor_summary(stdout, style, count, messages=1, ok=True, gc="on"):
    """Every line of the actor stress summary, parsed and checked."""
    s = summary(stdout)
    assert list(s) == SUMMARY_KEYS, stdout
    assert s["style"] == style
    assert s["count"] == "{:,} actors".format(count)
    assert s["messages per actor"] == (
        "{0:,} received, {0:,} sent ({1:,} to and from its ring "
        "neighbour)".format(messages + 1, messages))
    m = re.match(r"([0-9.]+) s$", s["spawn"])
    assert m and float(m.group(1)) > 0, s["spawn"]
    m = re.match(r"([0-9,]+) actors/s$", s["spawn rate"])
    assert m and number(m.group(1)) > 0, s["spawn rate"]
    m = re.match(r"([0-9,]+) of ([0-9,]+) delivered in ([0-9.]+) s$",
                 s["messages"])
    assert m, s["messages"]
    expected = count * (messages + 2)
    assert number(m.group(2)) == expected
    if ok:
        assert number(m.group(1)) == expected
    else:
        assert number(m.group(1)) < expected
    assert float(m.group(3)) > 0
    m = re.match(r"([0-9,]+)$", s["messages per second"])
    assert m and number(m.group(1)) > 0, s["messages per second"]
    m = re.match(r"(-?[0-9,]+) bytes$", s["RSS per actor"])
    assert m, s["RSS per actor"]
    m = re.match(r"([0-9.]+) MiB$", s["peak RSS"])
    assert m and float(m.group(1)) > 0, s["peak RSS"]
    for key in ("shutdown", "total time"):
        assert re.match(r"[0-9.]+ s$", s[key]), (key, s[key])
    assert s["gc"] == gc
    if ok:
        assert s["result"] == "OK"
    else:
        assert s["result"].startswith("FAILED (")
    return s


@needs_runtime
@pytest.mark.parametrize("style", ["process", "class"])
def test_stress_20000_actors(style):
    proc = run_actors("stress", "--count", "20000", "--style", style)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_actor_summary(proc.stdout, style, 20000)
    assert "spawning 20,000 %s-style actors" % style in proc.stderr
    assert "[" not in proc.stderr           # stderr is no tty: no bar


@needs_runtime
@pytest.mark.parametrize("style", ["process", "class"])
def test_stress_more_messages(style):
    proc = run_actors("stress", "--count", "3000", "--style", style,
                      "--messages", "7")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_actor_summary(proc.stdout, style, 3000, messages=7)


@needs_runtime
@pytest.mark.parametrize("style", ["process", "class"])
def test_stress_ring_wraps_more_than_once(style):
    # More hops than actors: every token goes round the ring several times.
    proc = run_actors("stress", "--count", "5", "--style", style,
                      "--messages", "23")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_actor_summary(proc.stdout, style, 5, messages=23)


@needs_runtime
@pytest.mark.parametrize("style, fault, problem", [
    ("process", "drop", "1,999 of 2,000 tokens came back"),
    ("class", "kill", "dead letters"),
])
def test_stress_fails_when_a_message_or_actor_is_missing(style, fault,
                                                          problem):
    proc = run_actors("stress", "--count", "2000", "--style", style,
                      "--inject-fault", fault)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    s = check_actor_summary(proc.stdout, style, 2000, ok=False)
    assert problem in s["result"], s["result"]
    assert "no progress for" in s["result"]


@needs_runtime
@pytest.mark.parametrize("style", ["process", "class"])
@pytest.mark.parametrize("fault", ["drop", "kill"])
def test_run_actor_stress_detects_faults(style, fault):
    from actors import _stress
    r = _stress.run_actor_stress(300, style, 3, fault=fault,
                                 stall_seconds=0.3)
    assert not r["ok"]
    assert r["stalled"]
    assert r["reports"] < 300
    if fault == "kill":
        assert r["dead_letters"] > 0
        assert r["completed"] < 300
        assert r["received"] < 300 * 4
    else:
        # The swallowed token misses its last hops and never comes back.
        assert r["dead_letters"] == 0
        assert r["received"] == 300 * 4 - 3
        assert r["reports"] == 299
    lines = dict(_stress.actor_summary(r))
    assert lines["result"].startswith("FAILED (")


@needs_runtime
@pytest.mark.parametrize("style", ["process", "class"])
def test_run_actor_stress_counts_everything(style):
    from actors import _stress
    r = _stress.run_actor_stress(1000, style, 2)
    assert r["ok"], r
    assert r["started"] == r["completed"] == r["reports"] == 1000
    assert r["received"] == 3000
    assert r["delivered"] == r["expected_messages"] == 4000
    assert r["dead_letters"] == 0 and not r["stalled"]


@needs_runtime
def test_stress_progress_bar_goes_to_stderr():
    proc = run_actors("stress", "--count", "3000", "--progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "spawn" in proc.stderr and "100.0%" in proc.stderr
    assert "messages" in proc.stderr
    assert "[" not in proc.stdout           # stdout keeps only the summary


def test_stress_actors_on_the_greenlet_backend():
    """The actor runtime runs on either backend: --backend applies to the
    actor stress job too."""
    proc = run_actors("stress", "--count", "2000", "--backend", "greenlet",
                      env={"ACTORS_BACKEND": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = check_actor_summary(proc.stdout, "process", 2000)
    assert s["backend"] == "greenlet"


def test_stress_times_with_the_collector_on_unless_no_gc():
    """The collector is on by default, as users run programs; --no-gc turns
    it off while timing, and --gc (the default) is still accepted."""
    proc = run_actors("stress", "--count", "2000", "--gc")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_actor_summary(proc.stdout, "process", 2000, gc="on")
    proc = run_actors("stress", "--count", "2000", "--no-gc")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_actor_summary(proc.stdout, "process", 2000,
                        gc="off while timing (--no-gc)")
    proc = run_actors("stress", "--count", "500", "--tasklets", "--no-gc")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary(proc.stdout)["gc"] == "off while timing (--no-gc)"
    proc = run_actors("stress", "--count", "500", "--tasklets")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary(proc.stdout)["gc"] == "on"


@pytest.mark.parametrize("value", ["-1", "x"])
def test_stress_rejects_bad_messages(value):
    proc = run_actors("stress", "--count", "10", "--messages", value)
    assert proc.returncode == 2
    assert "--messages" in proc.stderr


def test_stress_tasklets_20000():
    proc = run_actors("stress", "--tasklets", "--count", "20000")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = summary(proc.stdout)
    assert s["backend"] == actors.BACKEND
    assert s["count"] == "20000"
    assert s["finished"] == "20000 of 20000"
    assert s["result"] == "OK"
    for key in ("start+park", "resume+finish"):
        m = re.match(r"([0-9.]+) µs per tasklet \(([0-9.]+) s total\)$",
                     s[key])
        assert m, (key, s[key])
        assert float(m.group(1)) > 0
    m = re.match(r"(-?[0-9]+) bytes$", s["RSS per parked tasklet"])
    assert m, s["RSS per parked tasklet"]
    m = re.match(r"([0-9.]+) MiB$", s["peak RSS"])
    assert m and float(m.group(1)) > 0, s["peak RSS"]
    assert "tasklets" in proc.stderr        # the announcement line


def test_stress_tasklets_progress_bar_goes_to_stderr():
    proc = run_actors("stress", "--tasklets", "--count", "3000",
                      "--progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "start+park" in proc.stderr and "100.0%" in proc.stderr
    assert "resume+finish" in proc.stderr
    assert "[" not in proc.stdout


def test_stress_tasklets_backend_greenlet_option():
    env = {k: "" for k in ("ACTORS_BACKEND",)}
    proc = run_actors("stress", "--tasklets", "--count", "2000",
                      "--backend", "greenlet", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = summary(proc.stdout)
    assert s["backend"] == "greenlet"
    assert s["finished"] == "2000 of 2000"


def test_stress_tasklets_backend_native_option():
    proc = run_actors("stress", "--tasklets", "--count", "2000",
                      "--backend", "native")
    if native_available():
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert summary(proc.stdout)["backend"] == "native"
    else:
        assert proc.returncode == 2
        assert "native backend is unavailable" in proc.stderr


@pytest.mark.parametrize("count", ["0", "-5", "many"])
def test_stress_rejects_bad_count(count):
    proc = run_actors("stress", "--count", count)
    assert proc.returncode == 2
    assert "--count" in proc.stderr


def test_no_command_is_a_usage_error():
    proc = run_actors()
    assert proc.returncode == 2
    assert "usage: actors" in proc.stderr


def test_bench_outside_a_checkout_explains(monkeypatch, capsys):
    # Whether the script is there depends on how actors was installed:
    # take it away, as an installed package would, instead of skipping.
    monkeypatch.setattr(_cli, "_find_bench_script", lambda: None)
    assert _cli.main(["bench", "--quick"]) == 2
    assert "benchmarks/bench_tasklet.py" in capsys.readouterr().err


def test_run_stress_counts_completions():
    from actors.greenlet import getcurrent, greenlet
    r = _stress.run_tasklet_stress(500, greenlet, getcurrent)
    assert r["ok"] and r["finished"] == r["parked"] == 500


def test_run_stress_detects_tasklets_that_never_run():
    class Lazy:
        """Claims to switch but never runs its body."""
        dead = False

        def __init__(self, run):
            self.run = run

        def switch(self, *args):
            return args[0] if args else None

    from actors.greenlet import getcurrent
    r = _stress.run_tasklet_stress(10, Lazy, getcurrent)
    assert not r["ok"]
    assert r["finished"] == 0


def test_run_stress_detects_unfinished_tasklets():
    from actors.greenlet import getcurrent, greenlet
    park = getcurrent().switch

    def make(run):
        # The tasklet parks twice, so one resume does not finish it.
        def twice(i):
            park(i)
            return run(i)
        return greenlet(twice)

    r = _stress.run_tasklet_stress(10, make, getcurrent)
    assert not r["ok"]
    assert r["finished"] == 0
