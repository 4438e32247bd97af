#!/usr/bin/env python3
"""Instructions per operation of bench_overhead.py's hot rows, under
cachegrind: what a change to the hot paths costs, without timing noise.

    python benchmarks/instr_overhead.py [--python PY]... [--only ROWS]

Each row runs peers/peer_actors.py twice under ``valgrind --tool=cachegrind
--cache-sim=no`` (a small and a large count: start-up cancels out) and
prints (large - small) / operations (collector off, PYTHONHASHSEED=0), one column per interpreter given
(default: this one), e.g. the normal install beside the ACTORS_OBSERVE=0
one that ``bench_overhead.py --setup`` builds.  Instructions are not time
(cache misses are not in them); they show what a change adds or removes.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")

# (row, measurement, small args, large args, operations between them)
ROWS = (
    ("ping-pong round trip", "pingpong", (1000, 1), (11000, 1), 10000),
    ("ask", "ask", (1000, 1), (11000, 1), 10000),
    ("ring message", "ring", (1000, 2), (1000, 12), 10000),
    ("spawn + park, per actor", "park", (1000,), (11000,), 10000),
    ("skynet, per actor", "skynet", (1000,), (10000,), 10000),
)


def instructions(python, meas, nums):
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
           "--cachegrind-out-file=/dev/null", python,
           os.path.join(PEERS, "peer_actors.py"), meas] + [str(n) for n in nums] \
        + ["--no-gc"]
    # The collector off and hashes fixed: a run's count repeats to a few
    # instructions per operation.
    env = dict(os.environ, ACTORS_BACKEND="native", PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(cmd, cwd=PEERS, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    m = re.search(r"I\s+refs:\s+([\d,]+)", proc.stdout)
    if not m:
        raise RuntimeError("%s: %s" % (" ".join(cmd), proc.stdout[-600:]))
    return int(m.group(1).replace(",", ""))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append",
                    help="an interpreter with actors installed (repeatable)")
    ap.add_argument("--only", default=",".join(r[1] for r in ROWS))
    args = ap.parse_args(argv)
    pythons = [os.path.abspath(p) for p in args.python or [sys.executable]]
    only = args.only.split(",")
    print("| row | " + " | ".join(pythons) + " |")
    print("|---|" + "---|" * len(pythons))
    for label, meas, small, large, ops in ROWS:
        if meas not in only:
            continue
        cells = []
        for py in pythons:
            d = instructions(py, meas, large) - instructions(py, meas, small)
            cells.append("%.1f" % (d / ops))
        print("| %s | %s |" % (label, " | ".join(cells)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
