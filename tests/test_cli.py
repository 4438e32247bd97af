"""The command line: ``python -m actors stress`` and friends.

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
from actors import _cli

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


def test_stress_20000():
    proc = run_actors("stress", "--count", "20000")
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
    assert "stress" in proc.stderr          # the announcement line


def test_stress_progress_bar_goes_to_stderr():
    proc = run_actors("stress", "--count", "3000", "--progress")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "start+park" in proc.stderr and "100.0%" in proc.stderr
    assert "resume+finish" in proc.stderr
    assert "[" not in proc.stdout           # stdout keeps only the summary


def test_stress_backend_greenlet_option():
    env = {k: "" for k in ("ACTORS_BACKEND",)}
    proc = run_actors("stress", "--count", "2000", "--backend", "greenlet",
                      env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = summary(proc.stdout)
    assert s["backend"] == "greenlet"
    assert s["finished"] == "2000 of 2000"


def test_stress_backend_native_option():
    proc = run_actors("stress", "--count", "2000", "--backend", "native")
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


def test_bench_outside_a_checkout_explains():
    if _cli._find_bench_script() is not None:
        pytest.skip("running from a source checkout: bench would run")
    proc = run_actors("bench", "--quick")
    assert proc.returncode == 2
    assert "benchmarks/bench_tasklet.py" in proc.stderr


def test_run_stress_counts_completions():
    from actors.greenlet import getcurrent, greenlet
    r = _cli.run_stress(500, greenlet, getcurrent)
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
    r = _cli.run_stress(10, Lazy, getcurrent)
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

    r = _cli.run_stress(10, make, getcurrent)
    assert not r["ok"]
    assert r["finished"] == 0
