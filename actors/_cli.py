"""The ``actors`` command line: ``actors stress``, ``actors bench``.

``python -m actors …`` runs the same thing.  ``actors stress`` is the main
job until the actor runtime exists: it starts and parks COUNT tasklets, each
blocked in a switch back to the main tasklet, resumes every one of them so
it finishes, and prints time and memory per tasklet.
"""
import argparse
import gc
import os
import subprocess
import sys
import time

# ``python -m actors`` and the ``actors`` script both import the package,
# and with it the backend, before this module runs; ``--backend`` therefore
# re-executes the interpreter with ACTORS_BACKEND set.
_BACKENDS = ("native", "greenlet")


def _rss_bytes():
    """Current resident set size, in bytes."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # no procfs: the peak is the best we have
        return _peak_rss_bytes()


def _peak_rss_bytes():
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # KiB on Linux


class _Progress:
    """A one-line progress bar on stderr, without dependencies."""

    WIDTH = 30

    def __init__(self, label, total, enabled, stream=None):
        self.label, self.total, self.enabled = label, total, enabled
        self.stream = stream or sys.stderr
        self.t0 = self.last = time.perf_counter()
        self.width = 0

    def update(self, done):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.1 and done < self.total:
            return                      # redraw at most ten times a second
        self.last = now
        frac = done / self.total if self.total else 1.0
        fill = int(frac * self.WIDTH)
        elapsed = now - self.t0
        rate = done / elapsed if elapsed > 0 else 0.0
        line = "%-14s [%s%s] %5.1f%% %s/%s %s/s" % (
            self.label, "#" * fill, "." * (self.WIDTH - fill), 100 * frac,
            _si(done), _si(self.total), _si(rate))
        self.width = max(self.width, len(line))
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _si(x):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return "%.2f%s" % (x / div, unit)
    return "%d" % x


def run_stress(count, tasklet, getcurrent, progress=False, disable_gc=True,
               chunk=None):
    """Start and park `count` tasklets, then resume each until it finishes.

    `tasklet` and `getcurrent` follow the greenlet API.  Returns a dict of
    figures; ``ok`` is True only when every tasklet parked, came back with
    its own index and finished.  With `disable_gc` the garbage collector is
    off while timing (a million new containers would otherwise trigger
    full collections that are not the tasklets' cost).
    """
    chunk = chunk or max(1, min(10000, count // 200 or 1))
    main_switch = getcurrent().switch
    parked = [0]
    finished = [0]

    def body(i):
        parked[0] += 1
        token = main_switch(i)          # parked: blocked in a switch to main
        finished[0] += 1
        return i + token                # proves the locals survived

    tasklets = [None] * count           # allocated before the RSS baseline
    gc.collect()
    gc_was_enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        rss0 = _rss_bytes()
        bad_start = 0
        bar = _Progress("start+park", count, progress)
        t0 = time.perf_counter()
        for lo in range(0, count, chunk):
            for i in range(lo, min(lo + chunk, count)):
                t = tasklet(body)
                if t.switch(i) != i:
                    bad_start += 1
                tasklets[i] = t
            bar.update(min(lo + chunk, count))
        park_s = time.perf_counter() - t0
        bar.close()
        rss_parked = _rss_bytes()
        alive = sum(1 for t in tasklets if t is not None and not t.dead)

        bad_finish = 0
        bar = _Progress("resume+finish", count, progress)
        t0 = time.perf_counter()
        for lo in range(0, count, chunk):
            for i in range(lo, min(lo + chunk, count)):
                t = tasklets[i]
                if t.switch(1) != i + 1 or not t.dead:
                    bad_finish += 1
                tasklets[i] = None      # let it go as soon as it is done
            bar.update(min(lo + chunk, count))
        resume_s = time.perf_counter() - t0
        bar.close()
    finally:
        if gc_was_enabled:
            gc.enable()

    ok = (parked[0] == count and alive == count and bad_start == 0
          and finished[0] == count and bad_finish == 0)
    return {
        "count": count,
        "parked": parked[0],
        "alive_after_park": alive,
        "finished": finished[0],
        "wrong_results": bad_start + bad_finish,
        "park_s": park_s,
        "resume_s": resume_s,
        "rss_per_parked": (rss_parked - rss0) / count,
        "peak_rss": _peak_rss_bytes(),
        "ok": ok,
    }


def _cmd_stress(args, argv):
    if args.backend and os.environ.get("ACTORS_BACKEND") != args.backend:
        if args.backend == "native":
            try:
                import actors._core  # noqa: F401  (only to probe it)
            except ImportError as exc:
                print("actors: the native backend is unavailable: %s" % exc,
                      file=sys.stderr)
                return 2
        env = dict(os.environ, ACTORS_BACKEND=args.backend)
        sys.stdout.flush()
        sys.stderr.flush()
        argv = [sys.executable, "-m", "actors"] + list(argv)
        os.execve(sys.executable, argv, env)

    import actors
    from actors.greenlet import getcurrent, greenlet

    progress = args.progress
    if progress is None:
        progress = sys.stderr.isatty()
    print("actors stress: starting and parking {:,} tasklets on the {} "
          "backend".format(args.count, actors.BACKEND), file=sys.stderr)
    r = run_stress(args.count, greenlet, getcurrent, progress=progress,
                   disable_gc=not args.gc)

    n = r["count"]
    lines = [
        ("backend", actors.BACKEND),
        ("count", "%d" % n),
        ("gc", "enabled" if args.gc else "disabled while timing"),
        ("start+park", "%.3f µs per tasklet (%.3f s total)"
         % (r["park_s"] / n * 1e6, r["park_s"])),
        ("resume+finish", "%.3f µs per tasklet (%.3f s total)"
         % (r["resume_s"] / n * 1e6, r["resume_s"])),
        ("RSS per parked tasklet", "%.0f bytes" % r["rss_per_parked"]),
        ("peak RSS", "%.1f MiB" % (r["peak_rss"] / 2.0 ** 20)),
        ("finished", "%d of %d" % (r["finished"], n)),
        ("result", "OK" if r["ok"] else
         "FAILED (parked %d, alive after park %d, finished %d, wrong "
         "results %d)" % (r["parked"], r["alive_after_park"], r["finished"],
                          r["wrong_results"])),
    ]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print("%-*s  %s" % (width + 1, key + ":", value))
    return 0 if r["ok"] else 1


def _find_bench_script():
    here = os.path.dirname(os.path.abspath(__file__))
    for root in (os.path.dirname(here), os.getcwd()):
        path = os.path.join(root, "benchmarks", "bench_tasklet.py")
        if os.path.isfile(path):
            return path
    return None


def _cmd_bench(args, argv):
    script = _find_bench_script()
    if script is None:
        print("actors bench: benchmarks/bench_tasklet.py is not installed "
              "with the package; it lives in the source checkout.  Run "
              "`actors bench` from the checkout's top directory, or "
              "`python benchmarks/bench_tasklet.py [--quick]` there.",
              file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, script] + list(args.extra))


def _positive_int(text):
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _parser():
    ap = argparse.ArgumentParser(
        prog="actors",
        description="actors: millions of lightweight actors in one Python "
                    "process.")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    st = sub.add_parser(
        "stress", help="start and park many tasklets, resume them, report",
        description="Start COUNT tasklets, each parked in a switch back to "
                    "the main tasklet, then resume every one until it "
                    "finishes; print time and memory per tasklet.  Exits "
                    "non-zero unless every tasklet finished.")
    st.add_argument("--count", type=_positive_int, default=1000000,
                    help="number of tasklets (default 1,000,000)")
    st.add_argument("--backend", choices=_BACKENDS,
                    help="tasklet backend (sets ACTORS_BACKEND); default: "
                         "native when built, else greenlet")
    st.add_argument("--progress", dest="progress", action="store_true",
                    default=None,
                    help="show the progress bar (default: when stderr is a "
                         "terminal)")
    st.add_argument("--no-progress", dest="progress", action="store_false",
                    help="hide the progress bar")
    st.add_argument("--gc", action="store_true",
                    help="keep the garbage collector enabled while timing")
    st.set_defaults(func=_cmd_stress)

    be = sub.add_parser(
        "bench", help="run benchmarks/bench_tasklet.py (source checkout)",
        description="Run the tasklet benchmarks against greenlet, gevent "
                    "and asyncio; arguments are passed on, e.g. "
                    "`actors bench --quick`.",
        add_help=False)  # --help goes on to the script
    be.set_defaults(func=_cmd_bench, passes_extra=True)
    return ap


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passes_extra", False):
        parser.error("unrecognized arguments: %s" % " ".join(extra))
    args.extra = extra
    return args.func(args, argv)


if __name__ == "__main__":
    sys.exit(main())
