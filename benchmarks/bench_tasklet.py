#!/usr/bin/env python3
"""Tasklet benchmarks: actors' native core against greenlet, gevent, asyncio.

One command runs every peer side by side and prints a markdown table, the
ratios to the greenlet package and PASS/MISS for the targets of issue 2::

    python benchmarks/bench_tasklet.py            # N = 1,000,000
    python benchmarks/bench_tasklet.py --quick    # small N, a smoke run

Every measurement runs in a fresh subprocess (``--worker`` mode below), so
RSS figures start from a clean interpreter and one peer's garbage never
lands on another's bill.  The machines here are shared and noisy: read the
ratios, which are measured side by side in one run, not the absolute times.

Peers
  native    actors' tasklet, ``from actors.greenlet import greenlet`` with
            ACTORS_BACKEND=native
  greenlet  the greenlet package, used raw
  gevent    gevent.spawn() greenlets parked on an Event (start+park and
            run-to-completion only; gevent adds a hub and a scheduler)
  asyncio   tasks on the default event loop (start+park and run only)

The garbage collector is disabled while a measurement is timed (and a
collection runs just before), so the figures do not include the cost of
CPython's generational GC walking a million new containers.
"""
import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from _memory import rss_bytes, mem_available  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

PEERS = ("native", "greenlet", "gevent", "asyncio")
MEASUREMENTS = ("switch", "park", "run")
APPLIES = {
    "switch": ("native", "greenlet"),
    "park": ("native", "greenlet", "gevent", "asyncio"),
    "run": ("native", "greenlet", "gevent", "asyncio"),
}
# Generous guesses of RSS per parked tasklet, used only to keep a run from
# exhausting the machine's memory (the greenlet anchor is ~6 KB, gevent
# ~9 KB).  A peer whose N would not fit gets a smaller N, flagged in the
# table; per-tasklet figures stay comparable.
RSS_GUESS = {"native": 8192, "greenlet": 8192, "gevent": 12288,
             "asyncio": 3072}
MEMORY_SHARE = 0.6          # of MemAvailable one worker may plan to use

TARGETS = {  # measurement key -> (limit, kind); kind "ratio" or "bytes"
    "switch_ns": (0.5, "ratio"),
    "park_us": (0.1, "ratio"),
    "park_rss": (2048, "bytes"),
    "run_us": (0.1, "ratio"),
}


# --------------------------------------------------------------------------
# Worker side: one measurement, one peer, one fresh process.
# --------------------------------------------------------------------------

def load_greenlet_api(peer):
    if peer == "native":
        # The parent sets ACTORS_BACKEND=native for this process, so the
        # import fails loudly instead of silently falling back.
        import actors
        from actors.greenlet import greenlet, getcurrent
        if actors.BACKEND != "native":
            raise RuntimeError("actors picked backend %r" % actors.BACKEND)
        return greenlet, getcurrent
    if peer == "greenlet":
        from greenlet import greenlet, getcurrent
        return greenlet, getcurrent
    raise ValueError(peer)


def measure_switch(peer, switches, repeat):
    """ns per switch in a ping-pong of two tasklets; best of `repeat`."""
    greenlet, getcurrent = load_greenlet_api(peer)
    best = None
    for _ in range(repeat):
        def pong():
            back = ping.switch
            while True:
                back()

        def run_ping():
            to = pong_t.switch
            t0 = time.perf_counter_ns()
            for _ in range(switches):
                to()
            return time.perf_counter_ns() - t0

        pong_t = greenlet(pong)
        ping = greenlet(run_ping)
        gc.collect()
        gc.disable()
        elapsed = ping.switch()
        gc.enable()
        del ping, pong_t            # pong gets its exit exception here
        per = elapsed / (2.0 * switches)   # ping->pong and pong->ping
        best = per if best is None else min(best, per)
    return {"switch_ns": best}


def measure_park_greenlet_api(peer, n):
    greenlet, getcurrent = load_greenlet_api(peer)
    park = getcurrent().switch

    def body():
        park()                      # blocked in a switch back to main

    keep = [None] * n               # allocated before the RSS baseline
    gc.collect()
    gc.disable()
    rss0 = rss_bytes()
    t0 = time.perf_counter_ns()
    for i in range(n):
        t = greenlet(body)
        t.switch()
        keep[i] = t
    elapsed = time.perf_counter_ns() - t0
    rss1 = rss_bytes()
    parked = sum(1 for t in keep if t and not t.dead)
    if parked != n:
        raise RuntimeError("%d of %d tasklets parked" % (parked, n))
    return {"park_us": elapsed / n / 1000.0, "park_rss": (rss1 - rss0) / n}


def measure_run_greenlet_api(peer, n):
    greenlet, getcurrent = load_greenlet_api(peer)
    done = [0]

    def body():
        done[0] += 1                # returns at once: never switches away

    gc.collect()
    gc.disable()
    t0 = time.perf_counter_ns()
    for _ in range(n):
        greenlet(body).switch()
    elapsed = time.perf_counter_ns() - t0
    if done[0] != n:
        raise RuntimeError("%d of %d tasklets finished" % (done[0], n))
    return {"run_us": elapsed / n / 1000.0}


def measure_park_gevent(n):
    import gevent
    import gevent.event
    event = gevent.event.Event()
    started = [0]

    def body():
        started[0] += 1
        event.wait()                # parked in the hub until set()

    gevent.sleep(0)                 # create the hub outside the timing
    keep = [None] * n
    gc.collect()
    gc.disable()
    rss0 = rss_bytes()
    t0 = time.perf_counter_ns()
    for i in range(n):
        keep[i] = gevent.spawn(body)
    while started[0] < n:           # let the hub start every one
        gevent.sleep(0)
    elapsed = time.perf_counter_ns() - t0
    rss1 = rss_bytes()
    return {"park_us": elapsed / n / 1000.0, "park_rss": (rss1 - rss0) / n}


def measure_run_gevent(n):
    import gevent
    done = [0]

    def body():
        done[0] += 1

    gevent.sleep(0)
    gc.collect()
    gc.disable()
    t0 = time.perf_counter_ns()
    for _ in range(n):
        gevent.spawn(body)
    while done[0] < n:
        gevent.sleep(0)
    elapsed = time.perf_counter_ns() - t0
    return {"run_us": elapsed / n / 1000.0}


def measure_park_asyncio(n):
    import asyncio
    started = [0]
    result = {}

    async def body(fut):
        started[0] += 1
        await fut                   # parked until the future resolves

    async def main():
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        keep = [None] * n
        gc.collect()
        gc.disable()
        rss0 = rss_bytes()
        t0 = time.perf_counter_ns()
        for i in range(n):
            keep[i] = loop.create_task(body(fut))
        while started[0] < n:       # one loop pass starts all of them
            await asyncio.sleep(0)
        elapsed = time.perf_counter_ns() - t0
        rss1 = rss_bytes()
        result.update(park_us=elapsed / n / 1000.0, park_rss=(rss1 - rss0) / n)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(main())  # the parked tasks are left behind
    return result


def measure_run_asyncio(n):
    import asyncio
    done = [0]
    result = {}

    async def body():
        done[0] += 1

    async def main():
        loop = asyncio.get_running_loop()
        gc.collect()
        gc.disable()
        t0 = time.perf_counter_ns()
        for _ in range(n):
            loop.create_task(body())
        while done[0] < n:
            await asyncio.sleep(0)
        elapsed = time.perf_counter_ns() - t0
        result.update(run_us=elapsed / n / 1000.0)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(main())
    return result


def worker(peer, measurement, n, switches, repeat):
    if measurement == "switch":
        return measure_switch(peer, switches, repeat)
    if peer in ("native", "greenlet"):
        return (measure_park_greenlet_api if measurement == "park"
                else measure_run_greenlet_api)(peer, n)
    return globals()["measure_%s_%s" % (measurement, peer)](n)


def worker_main(args):
    result = worker(args.worker[0], args.worker[1], args.count,
                    args.switches, args.repeat)
    result["peak_rss"] = peak_rss_bytes()
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    # Skip the teardown: killing a million parked tasklets one by one is
    # not what is measured and can take longer than the measurement.
    os._exit(0)


def peak_rss_bytes():
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


# --------------------------------------------------------------------------
# Parent side: run the workers, print the table.
# --------------------------------------------------------------------------

def peer_env(peer):
    env = dict(os.environ)
    if peer == "native":
        env["ACTORS_BACKEND"] = "native"
    return env


def probe(peer):
    """None when the peer can run here, else the reason it cannot."""
    code = {
        "native": "import actors.greenlet, actors; "
                  "assert actors.BACKEND == 'native', actors.BACKEND",
        "greenlet": "import greenlet",
        "gevent": "import gevent",
        "asyncio": "import asyncio",
    }[peer]
    proc = subprocess.run([sys.executable, "-c", code], env=peer_env(peer),
                          cwd=HERE, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
    return lines[-1] if lines else "exit code %d" % proc.returncode


def versions():
    out = ["CPython %s" % platform.python_version(),
           "%s %s" % (platform.system(), platform.machine()),
           "%d CPUs" % (os.cpu_count() or 0)]
    for mod in ("greenlet", "gevent"):
        try:
            from importlib.metadata import version
            out.append("%s %s" % (mod, version(mod)))
        except Exception:
            pass
    return ", ".join(out)


def run_worker(peer, measurement, n, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", peer,
           measurement, "--count", str(n), "--switches", str(args.switches),
           "--repeat", str(args.switch_repeat)]
    try:
        proc = subprocess.run(cmd, env=peer_env(peer), cwd=HERE,
                              capture_output=True, text=True,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out after %ds" % args.timeout
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        return None, "exit code %d: %s" % (proc.returncode, tail)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), None
    except (ValueError, IndexError):
        return None, "no result in output: %r" % proc.stdout[-300:]


def planned_count(peer, measurement, n):
    if measurement != "park":
        return n
    avail = mem_available()
    if avail is None:
        return n
    fits = int(avail * MEMORY_SHARE / RSS_GUESS[peer])
    if n <= fits:
        return n
    return max(10000, fits // 10000 * 10000)


def fmt(value, key):
    if value is None:
        return "—"
    if key == "park_rss":
        return "{:,.0f}".format(value)
    if key == "switch_ns":
        return "{:,.1f}".format(value)
    return "{:,.3f}".format(value) if value < 10 else "{:,.2f}".format(value)


def verdict(key, native, greenlet):
    limit, kind = TARGETS[key]
    if kind == "bytes":
        target = "≤ {:,} B".format(limit)
        if native is None:
            return target, "n/a"
        return target, "PASS" if native <= limit else "MISS"
    target = "≤ %g× greenlet" % limit
    if native is None or not greenlet:
        return target, "n/a"
    return target, "PASS" if native / greenlet <= limit else "MISS"


ROWS = (
    ("switch_ns", "switch, two-tasklet ping-pong", "ns/switch"),
    ("park_us", "create+start+park", "µs/tasklet"),
    ("park_rss", "RSS per parked tasklet", "bytes"),
    ("run_us", "create+run to completion", "µs/tasklet"),
)
MEASUREMENT_OF = {"switch_ns": "switch", "park_us": "park",
                  "park_rss": "park", "run_us": "run"}


def render(results, counts, peers, args):
    """results[(peer, measurement)] -> dict or None."""
    lines = []
    head = ["measurement", "unit"] + [("actors " + p) if p == "native" else p
                                      for p in peers]
    head += ["native / greenlet", "target", "result"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    verdicts = []
    for key, label, unit in ROWS:
        meas = MEASUREMENT_OF[key]
        cells = [label, unit]
        values = {}
        for p in peers:
            r = results.get((p, meas))
            v = r.get(key) if r else None
            values[p] = v
            cell = "error" if r and "error" in r else fmt(v, key)
            if v is not None and counts.get((p, meas), args.count) != args.count \
                    and meas != "switch":
                cell += " (N={:,})".format(counts[(p, meas)])
            cells.append(cell)
        nat, gl = values.get("native"), values.get("greenlet")
        cells.append("%.3f×" % (nat / gl) if nat is not None and gl else "—")
        target, result = verdict(key, nat, gl)
        if "error" in (results.get(("native", meas)) or {}):
            result = "ERROR"
        cells += [target, result]
        verdicts.append(result)
        lines.append("| " + " | ".join(cells) + " |")

    others = [p for p in peers if p != "greenlet"]
    if not others or "greenlet" not in peers:
        return "\n".join(lines), verdicts
    lines.append("")
    lines.append("Ratios to greenlet (lower is better):")
    lines.append("")
    lines.append("| measurement | " + " | ".join(
        ("actors " + p) if p == "native" else p for p in others) + " |")
    lines.append("|---|" + "---|" * len(others))
    for key, label, unit in ROWS:
        meas = MEASUREMENT_OF[key]
        gl = (results.get(("greenlet", meas)) or {}).get(key)
        cells = [label]
        for p in others:
            v = (results.get((p, meas)) or {}).get(key)
            cells.append("%.3f×" % (v / gl) if v is not None and gl else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), verdicts


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Benchmark actors' tasklets against greenlet, gevent and "
                    "asyncio; every measurement in a fresh subprocess.")
    ap.add_argument("--quick", action="store_true",
                    help="small N (20,000) and fewer switches: a smoke run")
    ap.add_argument("--count", type=int, default=None,
                    help="tasklets per start+park and run measurement "
                         "(default 1,000,000; 20,000 with --quick)")
    ap.add_argument("--switches", type=int, default=None,
                    help="ping-pong round trips per repeat (default "
                         "1,000,000; 100,000 with --quick)")
    ap.add_argument("--switch-repeat", type=int, default=None,
                    help="repeats of the switch loop, best kept (default 5; "
                         "3 with --quick)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="fresh-process runs of each start+park and run "
                         "measurement, best kept (default 1)")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma-separated subset of %s" % ",".join(PEERS))
    ap.add_argument("--timeout", type=int, default=900,
                    help="seconds one worker may take (default 900)")
    ap.add_argument("--json", metavar="FILE",
                    help="also write the raw figures to FILE")
    ap.add_argument("--worker", nargs=2, metavar=("PEER", "MEASUREMENT"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.count is None:
        args.count = 20000 if args.quick else 1000000
    if args.switches is None:
        args.switches = 100000 if args.quick else 1000000
    if args.switch_repeat is None:
        args.switch_repeat = 3 if args.quick else 5
    if args.count < 1 or args.switches < 1 or args.repeat < 1:
        ap.error("counts and repeats must be at least 1")

    if args.worker:
        return worker_main(args)

    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = set(peers) - set(PEERS)
    if unknown:
        ap.error("unknown peer(s): %s" % ", ".join(sorted(unknown)))
    peers = [p for p in PEERS if p in peers]

    log = sys.stderr
    print("# actors tasklet benchmark", file=log)
    missing = {}
    for p in peers:
        why = probe(p)
        if why is not None:
            missing[p] = why
            label = "actors native core" if p == "native" else p
            print("%s unavailable, not measured: %s" % (label, why), file=log)
            if p == "native":
                print("  (build it with `pip install .` in the source "
                      "checkout; the other peers are measured anyway)",
                      file=log)
    runnable = [p for p in peers if p not in missing]

    results, counts, errors = {}, {}, []
    started = time.time()
    for meas in MEASUREMENTS:
        for p in runnable:
            if p not in APPLIES[meas]:
                continue
            n = planned_count(p, meas, args.count)
            counts[(p, meas)] = n
            runs = 1 if meas == "switch" else args.repeat
            best = None
            for r in range(runs):
                what = ("%d×%d switches" % (args.switch_repeat, 2 * args.switches)
                        if meas == "switch" else "N={:,}".format(n))
                print("  %-8s %-6s %s%s ..." % (p, meas, what,
                      " (run %d/%d)" % (r + 1, runs) if runs > 1 else ""),
                      end="", file=log, flush=True)
                t0 = time.time()
                res, err = run_worker(p, meas, n, args)
                print(" %.1fs" % (time.time() - t0), file=log, flush=True)
                if err:
                    errors.append("%s %s: %s" % (p, meas, err))
                    best = {"error": err}
                    break
                if best is None:
                    best = res
                else:   # best time and best RSS, each over the runs
                    best = {k: min(best[k], res[k]) for k in best}

            results[(p, meas)] = best

    table, verdicts = render(results, counts, peers, args)
    out = sys.stdout
    print("", file=out)
    print("%s; N = {:,} tasklets for start+park and run, {:,} ping-pong "
          "round trips × best of %d for switch; gc disabled while timing; "
          "each figure from a fresh process."
          .format(args.count, args.switches)
          % (versions(), args.switch_repeat), file=out)
    print("", file=out)
    print(table, file=out)
    print("", file=out)
    for p, why in missing.items():
        print("not measured: %s (%s)" % (p, why), file=out)
    for e in errors:
        print("error: %s" % e, file=out)
    reduced = ["%s %s N={:,}".format(n) % k for k, n in counts.items()
               if n != args.count and k[1] != "switch"]
    if reduced:
        print("N reduced to fit the memory available: " + ", ".join(reduced),
              file=out)
    print("command: python benchmarks/bench_tasklet.py %s"
          % " ".join(argv if argv is not None else sys.argv[1:]), file=out)
    print("total %.0fs" % (time.time() - started), file=log)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"versions": versions(), "count": args.count,
                       "switches": args.switches,
                       "results": {"%s/%s" % k: v for k, v in results.items()},
                       "counts": {"%s/%s" % k: v for k, v in counts.items()},
                       "missing": missing, "errors": errors}, f, indent=2)
    # Exit status: 0 when every peer that could run did; the targets are
    # reported, not enforced, so a MISS does not fail the command.
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
