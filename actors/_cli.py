"""The ``actors`` command line: ``actors stress``, ``actors bench``,
``actors node``, ``actors top``.

``python -m actors …`` runs the same thing.  This module parses the
arguments; the stress jobs themselves live in ``actors._stress``:
``actors stress`` spawns COUNT actors (process- or class-style), has them
exchange messages around a ring, and prints spawn rate, messages per second
and memory per actor; ``actors stress --tasklets`` is the raw tasklet job
(start, park and resume COUNT tasklets).
"""
import argparse
import os
import subprocess
import sys

# ``python -m actors`` and the ``actors`` script both import the package,
# and with it the backend, before this module runs; ``--backend`` therefore
# re-executes the interpreter with ACTORS_BACKEND set.
_BACKENDS = ("native", "greenlet")


def _cmd_stress(args, argv):
    from actors import _stress

    progress = args.progress
    if progress is None:
        progress = sys.stderr.isatty()
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
    if not args.tasklets:
        return _stress.actor_stress_command(
            args.count, args.style, args.messages, progress, args.gc,
            fault=args.inject_fault)
    return _stress.tasklet_stress_command(args.count, progress, args.gc)


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


def _cmd_node(args, argv):
    from actors import _nodecli
    return _nodecli.main(argv[argv.index("node") + 1:])


def _cmd_top(args, argv):
    from actors import _top
    return _top.main(argv[argv.index("top") + 1:])


def _int_at_least(lowest):
    def parse(text):
        value = int(text.replace("_", "").replace(",", ""))
        if value < lowest:
            raise argparse.ArgumentTypeError("must be at least %d" % lowest)
        return value
    parse.__name__ = "int"      # argparse names the type in its errors
    return parse


_positive_int = _int_at_least(1)


def _parser():
    ap = argparse.ArgumentParser(
        prog="actors",
        description="actors: millions of lightweight actors in one Python "
                    "process.")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    st = sub.add_parser(
        "stress", help="spawn many actors, have them exchange messages, "
                       "report",
        description="Spawn COUNT actors in a ring (process-style: each a "
                    "function blocked in actors.receive(); class-style: "
                    "an actors.Actor subclass).  The main actor sends each "
                    "one a token; each forwards it M times to its "
                    "ring neighbour, whose last holder reports back, so "
                    "every actor receives and sends M + 1 messages. "
                    "Prints spawn rate, messages per second, RSS per actor, "
                    "peak RSS and total time; exits non-zero if any actor "
                    "or message is missing.  With --tasklets: start and "
                    "park COUNT raw tasklets instead, then resume each.")
    st.add_argument("--count", type=_positive_int, default=1000000,
                    help="number of actors (or tasklets; default 1,000,000)")
    st.add_argument("--style", choices=("process", "class"),
                    default="process",
                    help="process: functions blocked in receive(); class: "
                         "actors.Actor subclasses (default: process)")
    st.add_argument("--messages", type=_int_at_least(0), default=1,
                    metavar="M",
                    help="messages each actor passes to its ring neighbour, "
                         "besides the start token and the report "
                         "(default 1)")
    st.add_argument("--tasklets", action="store_true",
                    help="the raw tasklet job: start and park COUNT "
                         "tasklets, resume each until it finishes")
    st.add_argument("--backend", choices=_BACKENDS,
                    help="the backend (sets ACTORS_BACKEND); default: "
                         "native when built, else greenlet")
    st.add_argument("--progress", dest="progress", action="store_true",
                    default=None,
                    help="show the progress bar (default: when stderr is a "
                         "terminal)")
    st.add_argument("--no-progress", dest="progress", action="store_false",
                    help="hide the progress bar")
    st.add_argument("--gc", dest="gc", action="store_true", default=True,
                    help="keep the garbage collector on while timing, as "
                         "programs run (the default)")
    st.add_argument("--no-gc", dest="gc", action="store_false",
                    help="turn the garbage collector off while timing")
    st.add_argument("--inject-fault", choices=("drop", "kill"),
                    help=argparse.SUPPRESS)   # tests: lose a message/actor
    st.set_defaults(func=_cmd_stress)

    be = sub.add_parser(
        "bench", help="run benchmarks/bench_tasklet.py (source checkout)",
        description="Run the tasklet benchmarks against greenlet, gevent "
                    "and asyncio; arguments are passed on, e.g. "
                    "`actors bench --quick`.",
        add_help=False)  # --help goes on to the script
    be.set_defaults(func=_cmd_bench, passes_extra=True)

    no = sub.add_parser(
        "node", help="run a cluster node (see `actors node --help`)",
        add_help=False)  # actors._nodecli parses the rest
    no.set_defaults(func=_cmd_node, passes_extra=True)

    tp = sub.add_parser(
        "top", help="a live view of a program's actors (see `actors top "
                    "--help`)", add_help=False)  # actors._top parses the rest
    tp.set_defaults(func=_cmd_top, passes_extra=True)
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
