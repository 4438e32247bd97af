#!/usr/bin/env python3
"""One table across CPython versions: actors' core beside greenlet on each.

For every interpreter given, runs ``bench_tasklet.py`` (switch, start+park,
RSS per parked tasklet: native core and greenlet) and ``bench_actors.py``
(skynet and ping-pong: actors, greenlet and, where installed, Erlang) with
that interpreter, then prints one markdown table with the ratios to
greenlet on the same version, to Erlang, and to the first interpreter
listed (the baseline, 3.11)::

    python benchmarks/bench_versions.py \\
        --python 3.11=python3.11 --python 3.12=/path/venv312/bin/python \\
        --python "3.14=bash .ci/sid_chroot.sh run /opt/actors-venvs/3.14/bin/python"

``--repeat N`` runs N rounds, each of which runs every interpreter once in
turn (one fresh process per figure; each round starts with another
interpreter), and keeps each figure's best: the
machine's load drifts over minutes, and an interpreter measured in one
stretch of the run would carry that stretch's load into its ratio to the
baseline.

Each ``LABEL=COMMAND`` is a command prefix that runs a Python with actors
and greenlet installed, with the repository as its working directory (as
``.ci/sid_chroot.sh run`` does for the Debian sid interpreters).  Figures
go to ``build/bench-versions/`` (inside the repository, so that an
interpreter in a chroot can write them too).

Targets (issue 8): on every version switch <= 0.5x greenlet's, RSS per
parked tasklet <= 2 KB, skynet <= 1.0x Erlang, and no row more than 1.3x
slower than the baseline (the timed rows: RSS has its own target).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join("build", "bench-versions")

# (result key, which benchmark, its measurement, row label)
ROWS = (
    ("switch_ns", "tasklet", "switch", "switch, ns"),
    ("park_us", "tasklet", "park", "create+start+park, µs"),
    ("park_rss", "tasklet", "park", "RSS per parked tasklet, B"),
    ("skynet_s", "actors", "skynet", "skynet 1M, s"),
    ("pingpong_us", "actors", "pingpong", "ping-pong, µs"),
)
OURS = {"tasklet": "native", "actors": "actors"}


def run_one(label, prefix, args, peers, rnd):
    """Run both benchmarks once with one interpreter; return their JSON."""
    os.makedirs(os.path.join(ROOT, OUT), exist_ok=True)
    safe = label.replace("/", "_")
    jobs = {
        "tasklet": ["benchmarks/bench_tasklet.py", "--peers", "native,greenlet",
                    "--count", str(args.count), "--repeat", "1"],
        "actors": ["benchmarks/bench_actors.py", "--peers", peers,
                   "--only", "skynet,pingpong", "--leaves", str(args.leaves),
                   "--repeat", "1"],
    }
    figures = {}
    for name, cmd in jobs.items():
        path = os.path.join(OUT, "%s-%s-%d.json" % (safe, name, rnd))
        full = shlex.split(prefix) + cmd + ["--json", path]
        print("[%s] %s" % (label, " ".join(full)), file=sys.stderr, flush=True)
        t0 = time.time()
        proc = subprocess.run(full, cwd=ROOT, stdout=subprocess.DEVNULL)
        print("[%s] %s: exit %d in %.0fs" % (label, name, proc.returncode,
                                              time.time() - t0),
              file=sys.stderr, flush=True)
        try:
            with open(os.path.join(ROOT, path)) as f:
                figures[name] = json.load(f)
        except (OSError, ValueError) as e:
            figures[name] = {"results": {}, "errors": [str(e)]}
        why = figures[name].get("missing", {}).get(OURS[name])
        if why:      # the other peers ran, but without ours the row is void
            figures[name].setdefault("errors", []).append(
                "actors not measured: %s" % why)
    return figures


def best_of(old, new):
    """Two rounds' figures of one interpreter as one: each figure's lowest
    (every figure here, times and bytes, is better lower)."""
    if old is None:
        return new
    for name, figs in new.items():
        into = old.setdefault(name, {}).setdefault("results", {})
        for what, res in figs.get("results", {}).items():
            mine = into.setdefault(what, {})
            for key, v in res.items():
                if isinstance(v, (int, float)) and (
                        not isinstance(mine.get(key), (int, float))
                        or v < mine[key]):
                    mine[key] = v
        old[name].setdefault("errors", []).extend(figs.get("errors", []))
        old[name].setdefault("missing", {}).update(figs.get("missing", {}))
    return old


def value(figures, source, peer, key):
    res = figures.get(source, {}).get("results", {}).get(
        "%s/%s" % (peer, dict((r[0], r[2]) for r in ROWS)[key]), {})
    v = res.get(key)
    return v if isinstance(v, (int, float)) else None


def table(labels, data):
    head = ["version"]
    for key, _, _, name in ROWS:
        head += [name + " (actors / greenlet)"]
    head += ["skynet / Erlang", "slowest timed row / " + labels[0]]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    verdicts = []
    base = data[labels[0]]
    for label in labels:
        figs = data[label]
        cells = [label]
        worst = None
        for key, source, _, _ in ROWS:
            ours = value(figs, source, OURS[source], key)
            theirs = value(figs, source, "greenlet", key)
            b = value(base, source, OURS[source], key)
            if ours is None:
                cells.append("—")
                continue
            fmt = "{:,.0f}" if key == "park_rss" else "{:.3g}"
            ratio = ("%.2f×" % (ours / theirs)) if theirs else "—"
            cells.append("%s / %s (%s)" % (fmt.format(ours),
                         fmt.format(theirs) if theirs else "—", ratio))
            if b and key != "park_rss":   # "slower": the timed rows
                worst = max(worst or 0, ours / b)
            if key == "switch_ns" and theirs:
                verdicts.append((label, "switch ≤ 0.5× greenlet",
                                 ours / theirs <= 0.5))
            if key == "park_rss":
                verdicts.append((label, "RSS ≤ 2,048 B", ours <= 2048))
        sky = value(figs, "actors", "actors", "skynet_s")
        erl = value(figs, "actors", "erlang", "skynet_s") or \
            value(base, "actors", "erlang", "skynet_s")
        if sky and erl:
            cells.append("%.2f×" % (sky / erl))
            verdicts.append((label, "skynet ≤ 1.0× Erlang", sky / erl <= 1.0))
        else:
            cells.append("—")
        cells.append("%.2f×" % worst if worst else "—")
        if worst and label != labels[0]:
            verdicts.append((label, "no row > 1.3× %s" % labels[0],
                             worst <= 1.3))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), verdicts


def interpreters(ap, specs):
    """--python LABEL=COMMAND options: the labels in order, and each one's
    command prefix (argparse's error for a malformed one)."""
    labels, prefixes = [], {}
    for spec in specs:
        label, sep, prefix = spec.partition("=")
        if not sep or not label or not prefix:
            ap.error("--python takes LABEL=COMMAND, not %r" % spec)
        labels.append(label)
        prefixes[label] = prefix
    return labels, prefixes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append", required=True,
                    metavar="LABEL=COMMAND",
                    help="an interpreter to measure (repeat; the first is "
                         "the baseline)")
    ap.add_argument("--count", type=int, default=1000000,
                    help="tasklets per start+park run (default 1,000,000)")
    ap.add_argument("--leaves", type=int, default=1000000,
                    help="skynet leaves (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds, each running every interpreter once in "
                         "turn; each figure's best is kept")
    ap.add_argument("--actor-peers", default="actors,greenlet,erlang",
                    help="peers of bench_actors.py (default "
                         "actors,greenlet,erlang; Erlang runs with the "
                         "baseline only)")
    args = ap.parse_args(argv)
    labels, prefixes = interpreters(ap, args.python)
    # Erlang runs once, with the baseline (an interpreter in a chroot has no
    # erl); every version's skynet is compared with that run.
    data = dict.fromkeys(labels)
    for rnd in range(args.repeat):
        # Each round starts with another interpreter, so that none is
        # always measured at the same point of the machine's cycle of load.
        start = rnd * len(labels) // args.repeat
        for label in labels[start:] + labels[:start]:
            peers = args.actor_peers
            if label != labels[0]:
                peers = ",".join(p for p in peers.split(",")
                                 if p != "erlang")
            data[label] = best_of(data[label], run_one(
                label, prefixes[label], args, peers, rnd))
    text, verdicts = table(labels, data)
    print(text)
    print()
    for label, what, ok in verdicts:
        print("%s %s: %s" % ("PASS" if ok else "MISS", label, what))
    errors = [(label, e) for label in labels for src in data[label].values()
              for e in src.get("errors", [])]
    for label, e in errors:
        print("error: %s: %s" % (label, e))
    print("command: python benchmarks/bench_versions.py %s"
          % " ".join(shlex.quote(a) for a in (argv or sys.argv[1:])))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
