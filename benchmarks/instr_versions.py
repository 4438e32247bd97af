#!/usr/bin/env python3
"""Instructions per operation across CPython versions, under cachegrind.

``bench_versions.py`` times each row; on a shared, noisy machine its
ratios between versions move by more than the 1.3x they are held to.
Instruction counts do not: this runs each row's workload under
``valgrind --tool=cachegrind`` twice (a small and a large count, so start-up
cancels out) and prints instructions per operation, ours beside greenlet
on the same version and against the first interpreter given::

    python benchmarks/instr_versions.py --python 3.11=python3.11 \\
        --python "3.14=bash .ci/sid_chroot.sh run /path/venv314/bin/python"

LABEL=COMMAND is a command prefix as for bench_versions.py (a Python with
actors and greenlet installed, run from the repository); valgrind must be
installed where that Python runs.  Instructions are not time: cache misses,
page faults and the cost of a call into a shared libpython are not in them,
so this explains the timed table, it does not replace it.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

from bench_versions import interpreters

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = "benchmarks/_instr_probe.py"

# (workload, implementation, small count, large count, row label)
ROWS = (
    ("switch", "native", 0, 20000, "switch"),
    ("switch", "greenlet", 0, 20000, "switch"),
    ("park", "native", 0, 20000, "create+start+park"),
    ("park", "greenlet", 0, 20000, "create+start+park"),
    ("skynet", "native", 10, 10000, "skynet, per actor"),
    ("pingpong", "native", 0, 20000, "ping-pong round trip"),
)


def skynet_actors(leaves):
    n, level = 0, 1
    while level <= leaves:
        n, level = n + level, level * 10
    return n


def instructions(prefix, workload, impl, n):
    cmd = shlex.split(prefix) + [PROBE, "--valgrind", workload, impl, str(n)]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    m = re.search(r"I\s+refs:\s+([\d,]+)", proc.stdout)
    if proc.returncode != 0 or not m:
        raise RuntimeError("%s: %s" % (" ".join(cmd), proc.stdout[-600:]))
    return int(m.group(1).replace(",", ""))


def per_op(prefix, workload, impl, small, large):
    a = instructions(prefix, workload, impl, small)
    b = instructions(prefix, workload, impl, large)
    if workload == "skynet":
        ops = skynet_actors(large) - skynet_actors(small)
    elif workload == "switch":
        ops = 2 * (large - small)          # there and back
    else:
        ops = large - small
    return (b - a) / ops


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append", required=True,
                    metavar="LABEL=COMMAND",
                    help="an interpreter (repeat; the first is the baseline)")
    args = ap.parse_args(argv)
    labels, prefixes = interpreters(ap, args.python)
    data = {}
    for label in labels:
        for workload, impl, small, large, _ in ROWS:
            print("[%s] %s/%s" % (label, workload, impl), file=sys.stderr,
                  flush=True)
            data[label, workload, impl] = per_op(prefixes[label], workload,
                                                 impl, small, large)
    rows = []
    for workload, impl, _, _, name in ROWS:
        if impl == "native":
            rows.append((workload, name))
    print("| version | " + " | ".join(
        "%s (actors / greenlet, × %s)" % (name, labels[0])
        for _, name in rows) + " |")
    print("|" + "---|" * (len(rows) + 1))
    worst = {}
    for label in labels:
        cells = []
        for workload, _ in rows:
            ours = data[label, workload, "native"]
            theirs = data.get((label, workload, "greenlet"))
            base = data[labels[0], workload, "native"]
            worst[label] = max(worst.get(label, 0), ours / base)
            cells.append("%.0f / %s (%.2f×)" % (
                ours, "%.0f" % theirs if theirs else "—", ours / base))
        print("| %s | %s |" % (label, " | ".join(cells)))
    print()
    for label in labels[1:]:
        print("%s %s: no row > 1.3× %s in instructions (worst %.2f×)" % (
            "PASS" if worst[label] <= 1.3 else "MISS", label, labels[0],
            worst[label]))
    print("command: python benchmarks/instr_versions.py %s"
          % " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))


if __name__ == "__main__":
    sys.exit(main())
