#!/usr/bin/env python3
"""Actor benchmarks: the actors runtime against Erlang/OTP, Go, gevent,
asyncio, raw greenlet and Pykka, side by side in one run, with the CPython
floor under the message rows.

One command runs every peer and prints a markdown table, the ratios to
Erlang and PASS/MISS for the targets of issue 3::

    python benchmarks/bench_actors.py            # full size (several minutes)
    python benchmarks/bench_actors.py --quick    # small sizes, a smoke run
    python benchmarks/bench_actors.py --gc both  # + an "actors, gc off" column

The Python peers run with CPython's cyclic garbage collector on, as
programs run (Erlang and Go keep theirs on too); ``--no-gc`` (``--gc off``)
turns it off while timing in every Python peer, and ``--gc both`` measures
the actors runtime both ways side by side.

Measurements (the same programs for every peer, in benchmarks/peers/):

  skynet    every actor spawns 10 children down to 1,000,000 leaves
            (1,111,111 actors); a leaf sends its number to its parent, a
            parent sends the sum; the root gets 499999500000.
  pingpong  round trip between two actors: A sends its address, B replies.
  ask       request/reply helper: actors.ask() to a class-style actor,
            gen_server:call in Erlang, ActorRef.ask() in Pykka.
  park      spawn N process-style actors that block in receive:
            µs and RSS bytes per actor.
  idle      N class-style actors with an empty mailbox: RSS bytes per
            actor (Erlang: hibernated processes).
  ring      N actors in a circle pass one token LAPS times around.
  mailbox   one receiver, SENDERS actors each sending PER_SENDER messages.

The "CPython floor" column (peers/peer_floor.py) runs the actors peer's own
Python for ping-pong, ask and the ring with every actors call replaced by a
builtin that does nothing: what the interpreter alone spends per round
trip or message.  Where the floor itself misses a target, the result says
so: no runtime on that interpreter can meet it.

Every figure comes from a fresh process: Python peers run
``peers/peer_<name>.py``, Erlang runs ``peers/peer_erlang.erl`` (compiled
with erlc into a temporary directory) under ``erl +S 1 -noshell``, Go runs
``peers/peer_go.go`` (built with ``go build`` into a temporary directory,
standard library only) with GOMAXPROCS=1.  The machines here are shared and
noisy: read the ratios, measured side by side in one run, not the absolute
figures.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from _memory import mem_available  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS_DIR = os.path.join(HERE, "peers")

PEERS = ("actors", "erlang", "go", "gevent", "asyncio", "greenlet", "pykka",
         "floor")
ALL_BUT_FLOOR = PEERS[:-1]
# The actors runtime with the collector off while timing: a column of its
# own with --gc both (not a peer one can pick with --peers).
NOGC = "actors-nogc"
LABEL = {"actors": "actors", "erlang": "Erlang", "go": "Go",
         "gevent": "gevent", "asyncio": "asyncio", "greenlet": "greenlet",
         "pykka": "Pykka", "floor": "CPython floor", NOGC: "actors, gc off"}
PYTHON_PEERS = ("actors", "gevent", "asyncio", "greenlet", "pykka", "floor",
                NOGC)

MEASUREMENTS = ("skynet", "pingpong", "ask", "park", "idle", "ring",
                "mailbox")
APPLIES = {
    "skynet": ("actors", "erlang", "go", "gevent", "asyncio", "greenlet"),
    "pingpong": PEERS,
    "ask": ("actors", "erlang", "pykka", "floor"),
    "park": ALL_BUT_FLOOR,
    "idle": ("actors", "erlang"),
    "ring": ("actors", "erlang", "go", "gevent", "asyncio", "greenlet",
             "floor"),
    "mailbox": ("actors", "erlang", "go", "gevent", "asyncio", "greenlet"),
}
for _m in APPLIES:
    APPLIES[_m] += (NOGC,)

# Pykka runs one OS thread per actor: fewer round trips (~40 µs each) and
# at most this many parked actors; its cells are marked with the N used.
PYKKA_ROUND_TRIPS = 10000
PYKKA_PARK = 1000

# Generous guesses of RSS per actor (bytes), used only to keep a park or
# idle run from exhausting the machine's memory: a peer whose N would not
# fit in MEMORY_SHARE of MemAvailable gets a smaller N, marked in its cell.
RSS_GUESS = {
    "park": {"actors": 4096, "erlang": 4096, "go": 4096, "gevent": 12288,
             "asyncio": 6144, "greenlet": 8192, "pykka": 65536},
    "idle": {"actors": 1024, "erlang": 2048},
}
for _m in RSS_GUESS:
    RSS_GUESS[_m][NOGC] = RSS_GUESS[_m]["actors"]
MEMORY_SHARE = 0.6

# (key, measurement, label, unit, better)
ROWS = (
    ("skynet_s", "skynet", "skynet, {leaves:,} leaves ({actors:,} actors)",
     "s", "lower"),
    ("pingpong_us", "pingpong", "ping-pong round trip", "µs", "lower"),
    ("ask_us", "ask", "ask round trip (request/reply)", "µs", "lower"),
    ("park_us", "park", "spawn + park in receive", "µs/actor", "lower"),
    ("park_rss", "park", "RSS per parked actor", "B/actor", "lower"),
    ("idle_rss", "idle", "RSS per idle class-style actor", "B/actor",
     "lower"),
    ("ring_mps", "ring", "ring, {ring:,} actors × {laps:,} laps",
     "msgs/s", "higher"),
    ("mailbox_mps", "mailbox", "mailbox, {senders:,} senders × {per:,} → 1",
     "msgs/s", "higher"),
)

# key -> (kind, limit): "ratio" = actors / Erlang ≤ limit, "ratio_min" =
# actors / Erlang ≥ limit (rates), "bytes" = actors ≤ limit, "gc" = actors
# with the collector on ≤ limit × actors with it off (needs --gc both).
# Rows without a target are reported with their ratio.  Issue 10's targets,
# all with the collector on.
TARGETS = {
    "skynet_s": ("ratio", 0.5),
    "pingpong_us": ("ratio", 0.6),
    "ask_us": ("ratio", 1.0),
    "park_us": ("gc", 1.2),
    "park_rss": ("bytes", 2048),
    "idle_rss": ("bytes", 400),
    "ring_mps": ("ratio_min", 1.5),
}


# --------------------------------------------------------------------------
# Building and running the peers
# --------------------------------------------------------------------------

def tail(text, n=5):
    lines = [l for l in (text or "").strip().splitlines() if l.strip()]
    return "\n".join(lines[-n:])


class Peers:
    """Knows how to start each peer; builds the Erlang and Go programs
    once per run into a temporary directory."""

    def __init__(self, gc_mode):
        self.gc_mode = gc_mode          # "on", "off" or "both"
        self.tmp = tempfile.mkdtemp(prefix="bench_actors_")
        self.go_binary = None
        self.versions = {}

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, peer):
        env = dict(os.environ)
        if peer in ("actors", NOGC):
            # Fail loudly rather than measure a fallback backend, unless
            # the caller chose one.
            env.setdefault("ACTORS_BACKEND", "native")
        elif peer == "go":
            env["GOMAXPROCS"] = "1"
        return env

    def go_env(self):
        env = dict(os.environ)
        env.update(GOCACHE=os.path.join(self.tmp, "gocache"),
                   GOPATH=os.path.join(self.tmp, "gopath"),
                   GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="",
                   GO111MODULE="")
        return env

    def prepare(self, peer):
        """None when the peer can run here, else the reason it cannot."""
        try:
            return getattr(self, "_prepare_" + peer.replace("-", "_"))()
        except FileNotFoundError as e:
            return "%s not found" % (e.filename or e)
        except subprocess.TimeoutExpired:
            return "timed out while preparing"

    def _python_probe(self, peer, code):
        proc = subprocess.run([sys.executable, "-c", code],
                              env=self.env(peer), cwd=PEERS_DIR,
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            return None, tail(proc.stderr, 1) or "exit code %d" % \
                proc.returncode
        return proc.stdout.strip(), None

    def _prepare_actors(self):
        out, err = self._python_probe(
            "actors",
            "import actors\n"
            "assert actors.run(lambda: 1) == 1, 'actors.run(f) != f()'\n"
            "import os, sysconfig\n"
            "where = os.path.dirname(os.path.dirname(actors.__file__))\n"
            "installed = where in (sysconfig.get_path('purelib'), "
            "sysconfig.get_path('platlib'))\n"
            "print(getattr(actors, '__version__', '?'), "
            "getattr(actors, 'BACKEND', '?'), "
            "'' if installed else 'from ' + where, sep='|')")
        if err:
            return err
        version, backend, where = (out.split("|", 2) + ["?", "?", ""])[:3]
        self.versions["actors"] = "actors %s (backend %s%s)" % (
            version, backend, ", " + where if where else "")
        return None

    def _prepare_module(self, peer, module):
        out, err = self._python_probe(
            peer, "from importlib.metadata import version; import %s; "
                  "print(version(%r))" % (module, module))
        if err:
            return err
        self.versions[peer] = "%s %s" % (module, out)
        return None

    def _prepare_gevent(self):
        return self._prepare_module("gevent", "gevent")

    def _prepare_greenlet(self):
        return self._prepare_module("greenlet", "greenlet")

    def _prepare_pykka(self):
        return self._prepare_module("pykka", "pykka")

    def _prepare_actors_nogc(self):
        return self._prepare_actors()

    def _prepare_asyncio(self):
        return None

    def _prepare_floor(self):
        return None

    def _prepare_erlang(self):
        for tool in ("erl", "erlc"):
            if shutil.which(tool) is None:
                return "%s not found (Debian package erlang-base)" % tool
        src = os.path.join(PEERS_DIR, "peer_erlang.erl")
        proc = subprocess.run(["erlc", "-o", self.tmp, src],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            return "erlc failed: " + tail(proc.stdout + proc.stderr, 3)
        proc = subprocess.run(
            ["erl", "-noshell", "-eval",
             'io:format("~s ~s", [erlang:system_info(otp_release), '
             'erlang:system_info(version)]), halt().'],
            capture_output=True, text=True, timeout=120)
        otp, _, erts = proc.stdout.strip().partition(" ")
        self.versions["erlang"] = "Erlang/OTP %s (erts %s)" % (otp, erts)
        return None

    def _prepare_go(self):
        if shutil.which("go") is None:
            return "go not found (Debian package golang-go)"
        out = os.path.join(self.tmp, "peer_go")
        proc = subprocess.run(
            ["go", "build", "-o", out, os.path.join(PEERS_DIR, "peer_go.go")],
            env=self.go_env(), cwd=self.tmp, capture_output=True, text=True,
            timeout=600)
        if proc.returncode != 0:
            return "go build failed: " + tail(proc.stdout + proc.stderr, 3)
        self.go_binary = out
        proc = subprocess.run(["go", "version"], env=self.go_env(),
                              capture_output=True, text=True, timeout=120)
        words = proc.stdout.split()
        self.versions["go"] = ("Go %s" % words[2][2:] if len(words) > 2
                               else "Go")
        return None

    def command(self, peer, meas, nums):
        nums = [str(v) for v in nums]
        if peer in PYTHON_PEERS:
            script = "actors" if peer == NOGC else peer
            cmd = [sys.executable,
                   os.path.join(PEERS_DIR, "peer_%s.py" % script), meas] + nums
            off = peer == NOGC or self.gc_mode == "off"
            return cmd + (["--no-gc"] if off else [])
        if peer == "erlang":
            return ["erl", "+S", "1", "+P", str(erlang_max_procs(meas, nums)),
                    "-noshell", "-pa", self.tmp,
                    "-run", "peer_erlang", "main", meas] + nums
        if peer == "go":
            return [self.go_binary, meas] + nums
        raise ValueError(peer)

    def run(self, peer, meas, nums, timeout):
        cmd = self.command(peer, meas, nums)
        try:
            proc = subprocess.run(cmd, env=self.env(peer), cwd=PEERS_DIR,
                                  capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, "timed out after %ds" % timeout
        if proc.returncode != 0:
            return None, "exit code %d: %s" % (proc.returncode,
                                               tail(proc.stderr))
        try:
            return json.loads(proc.stdout.strip().splitlines()[-1]), None
        except (ValueError, IndexError):
            return None, "no result in output: %r %s" % (
                proc.stdout[-300:], tail(proc.stderr))


def erlang_max_procs(meas, nums):
    """+P for the Erlang VM: room for every process the run can have alive
    at once (the default limit is 262,144)."""
    n = int(nums[0]) if meas in ("skynet", "park", "idle", "ring",
                                 "mailbox") else 0
    if meas == "skynet":
        n = skynet_actors(n)
    return min(134217727, max(1 << 20, n * 5 // 4 + 4096))


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------

def derive(meas, nums, raw):
    """Turn a peer's raw JSON figures into the table's keys."""
    s = raw["seconds"]
    if meas == "skynet":
        expected = nums[0] * (nums[0] - 1) // 2
        if raw.get("result") != expected:
            raise ValueError("skynet result %r, expected %d"
                             % (raw.get("result"), expected))
        return {"skynet_s": s}
    if meas in ("pingpong", "ask"):
        return {meas + "_us": s / nums[0] * 1e6}
    if meas in ("park", "idle"):
        n = nums[0]
        parked = raw.get("parked", n)
        if parked != n:
            raise ValueError("%d of %d actors parked" % (parked, n))
        return {meas + "_us": s / n * 1e6, meas + "_rss": raw["rss_delta"] / n}
    if meas in ("ring", "mailbox"):
        return {meas + "_mps": raw["messages"] / s}
    raise ValueError(meas)


BETTER = {key: better for key, _, _, _, better in ROWS}
BETTER["idle_us"] = "lower"


def best_of(a, b):
    if a is None:
        return b
    out = {}
    for k in a:
        pick = max if BETTER.get(k) == "higher" else min
        out[k] = pick(a[k], b[k])
    return out


def fmt(value, key):
    if value is None:
        return "—"
    if key.endswith("_rss") or key.endswith("_mps"):
        return "{:,.0f}".format(value)
    if value >= 100:
        return "{:,.0f}".format(value)
    if value >= 10:
        return "{:,.1f}".format(value)
    return "{:,.3f}".format(value) if value >= 0.1 else "{:.4f}".format(value)


def verdict(key, ours, erlang, nogc=None):
    kind, limit = TARGETS.get(key, (None, None))
    if kind == "gc":
        target = "gc on ≤ %.1f× gc off" % limit
        if ours is None or not nogc:
            return target, "n/a"
        return target, "PASS" if ours / nogc <= limit else "MISS"
    if kind == "ratio_min":
        target = "≥ %.1f× Erlang" % limit
        if ours is None or not erlang:
            return target, "n/a"
        return target, "PASS" if ours / erlang >= limit else "MISS"
    if kind == "bytes":
        target = "≤ {:,} B".format(limit)
        if ours is None:
            return target, "n/a"
        return target, "PASS" if ours <= limit else "MISS"
    if kind == "ratio":
        target = "≤ %.1f× Erlang" % limit
        if ours is None or not erlang:
            return target, "n/a"
        return target, "PASS" if ours / erlang <= limit else "MISS"
    return "reported", "—"


# --------------------------------------------------------------------------
# Plan, run, render
# --------------------------------------------------------------------------

def default_params(args):
    return {
        "skynet": [args.leaves],
        "pingpong": [args.round_trips, args.rt_repeat],
        "ask": [args.round_trips, args.rt_repeat],
        "park": [args.count],
        "idle": [args.idle_count],
        "ring": [args.ring, args.laps],
        "mailbox": [args.senders, args.per_sender],
    }


def planned_params(peer, meas, params):
    """The arguments this peer gets: the defaults, with Pykka's caps and the
    memory guard applied."""
    nums = list(params[meas])
    if peer == "pykka":
        if meas in ("pingpong", "ask"):
            nums[0] = min(nums[0], PYKKA_ROUND_TRIPS)
        elif meas == "park":
            nums[0] = min(nums[0], PYKKA_PARK)
    if meas in ("park", "idle"):
        avail = mem_available()
        if avail is not None:
            fits = int(avail * MEMORY_SHARE / RSS_GUESS[meas][peer])
            if nums[0] > fits:
                nums[0] = max(1000, fits // 1000 * 1000)
    return nums


def cell_note(peer, meas, nums, params):
    """' (N=…)' when this peer ran with other sizes than the row's."""
    if nums == params[meas]:
        return ""
    return " (N={:,})".format(nums[0])


def row_label(label, args):
    return label.format(leaves=args.leaves,
                        actors=skynet_actors(args.leaves), ring=args.ring,
                        laps=args.laps, senders=args.senders,
                        per=args.per_sender)


def skynet_actors(leaves):
    total, n = 0, leaves
    while n >= 1:
        total += n
        n //= 10
    return total


def render(results, used, params, peers, args):
    """results[(peer, meas)] -> figures dict, {"error": …} or absent."""
    lines = []
    both = NOGC in peers
    head = (["measurement", "unit"] + [LABEL[p] for p in peers]
            + ["actors / Erlang"] + (["gc on / off"] if both else [])
            + ["target", "result"])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    verdicts = {}
    rows = [r for r in ROWS if r[1] in args.measurements]
    for key, meas, label, unit, better in rows:
        cells = [row_label(label, args), unit]
        values = {}
        for p in peers:
            r = results.get((p, meas))
            v = r.get(key) if r else None
            values[p] = v
            if r and "error" in r:
                cell = "error"
            elif r is None and p in APPLIES[meas]:
                cell = "not run"
            else:
                cell = fmt(v, key)
            if v is not None:
                cell += cell_note(p, meas, used[(p, meas)], params)
            cells.append(cell)
        ours, erl = values.get("actors"), values.get("erlang")
        cells.append("%.2f×" % (ours / erl) if ours is not None and erl
                     else "—")
        nogc = values.get(NOGC)
        if both:
            cells.append("%.2f×" % (ours / nogc) if ours is not None and nogc
                         else "—")
        target, result = verdict(key, ours, erl, nogc)
        floor = values.get("floor")
        if result == "MISS" and floor is not None and \
                verdict(key, floor, erl)[1] == "MISS":
            result = "MISS (the floor: %.2f×)" % (floor / erl)
        if "error" in (results.get(("actors", meas)) or {}):
            result = "ERROR"
        cells += [target, result]
        verdicts[key] = result
        lines.append("| " + " | ".join(cells) + " |")

    others = [p for p in peers if p != "erlang"]
    erlang_ran = any(results.get(("erlang", m)) for m in args.measurements)
    if erlang_ran and others:
        lines += ["", "Ratios to Erlang (peer ÷ Erlang; for msgs/s higher is "
                  "better, for every other row lower is better):", ""]
        lines.append("| measurement | better | " + " | ".join(
            LABEL[p] for p in others) + " |")
        lines.append("|---|---|" + "---|" * len(others))
        for key, meas, label, unit, better in rows:
            erl = (results.get(("erlang", meas)) or {}).get(key)
            cells = [row_label(label, args), better]
            for p in others:
                v = (results.get((p, meas)) or {}).get(key)
                cells.append("%.2f×" % (v / erl) if v is not None and erl
                             else "—")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), verdicts


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Benchmark the actors runtime against Erlang/OTP, Go, "
                    "gevent, asyncio, raw greenlet and Pykka; every "
                    "measurement in a fresh process.")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes: a smoke run of a minute or so")
    ap.add_argument("--leaves", type=int,
                    help="skynet leaves, a power of 10 (default 1,000,000; "
                         "10,000 with --quick)")
    ap.add_argument("--round-trips", type=int,
                    help="ping-pong and ask round trips per repeat (default "
                         "500,000; 20,000 with --quick; Pykka at most "
                         "{:,})".format(PYKKA_ROUND_TRIPS))
    ap.add_argument("--rt-repeat", type=int,
                    help="ping-pong/ask repeats in one process, best kept "
                         "(default 5)")
    ap.add_argument("--count", type=int,
                    help="actors spawned and parked (default 1,000,000; "
                         "20,000 with --quick; Pykka at most {:,})"
                         .format(PYKKA_PARK))
    ap.add_argument("--idle-count", type=int,
                    help="idle class-style actors (default 1,000,000; "
                         "20,000 with --quick)")
    ap.add_argument("--ring", type=int,
                    help="actors in the ring (default 10,000; 1,000 with "
                         "--quick)")
    ap.add_argument("--laps", type=int,
                    help="laps of the token round the ring (default 100; "
                         "10 with --quick)")
    ap.add_argument("--senders", type=int,
                    help="mailbox senders (default 100)")
    ap.add_argument("--per-sender", type=int,
                    help="messages per mailbox sender (default 10,000; "
                         "1,000 with --quick)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of fresh-process runs of every "
                         "measurement, each round running every peer once "
                         "in turn; each figure its best (default 1)")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma-separated subset of %s" % ",".join(PEERS))
    ap.add_argument("--only", default=",".join(MEASUREMENTS),
                    help="comma-separated subset of %s"
                         % ",".join(MEASUREMENTS))
    ap.add_argument("--gc", nargs="?", const="on", default="on",
                    choices=("on", "off", "both"),
                    help="CPython's garbage collector while timing the "
                         "Python peers: on (the default, as programs run), "
                         "off (after a collect), or both: every peer with "
                         "it on plus a column of the actors runtime with "
                         "it off")
    ap.add_argument("--no-gc", dest="gc", action="store_const", const="off",
                    help="the same as --gc off")
    ap.add_argument("--timeout", type=int, default=1200,
                    help="seconds one worker may take (default 1200)")
    ap.add_argument("--json", metavar="FILE",
                    help="also write the raw figures to FILE")
    args = ap.parse_args(argv)
    q = args.quick
    defaults = dict(leaves=10000 if q else 1000000,
                    round_trips=20000 if q else 500000, rt_repeat=5,
                    count=20000 if q else 1000000,
                    idle_count=20000 if q else 1000000,
                    ring=1000 if q else 10000, laps=10 if q else 100,
                    senders=100, per_sender=1000 if q else 10000)
    for k, v in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
        if getattr(args, k) < 1:
            ap.error("--%s must be at least 1" % k.replace("_", "-"))
    n = args.leaves
    while n % 10 == 0 and n > 1:
        n //= 10
    if n != 1:
        ap.error("--leaves must be a power of 10")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = set(peers) - set(PEERS)
    if unknown:
        ap.error("unknown peer(s): %s" % ", ".join(sorted(unknown)))
    args.peer_list = [p for p in PEERS if p in peers]
    if args.gc == "both" and "actors" in args.peer_list:
        args.peer_list.insert(args.peer_list.index("actors") + 1, NOGC)
    only = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = set(only) - set(MEASUREMENTS)
    if unknown:
        ap.error("unknown measurement(s): %s" % ", ".join(sorted(unknown)))
    args.measurements = [m for m in MEASUREMENTS if m in only]
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    log = sys.stderr
    peers_list = args.peer_list
    params = default_params(args)
    started = time.time()

    print("# actors runtime benchmark", file=log)
    runner = Peers(args.gc)
    try:
        missing = {}
        for p in peers_list:
            print("  preparing %-8s ..." % p, end="", file=log, flush=True)
            why = runner.prepare(p)
            print(" " + ("ok" if why is None else "unavailable: " + why),
                  file=log, flush=True)
            if why is not None:
                missing[p] = why
        if "actors" in missing:
            print("  (the actors runtime could not run `actors.run(lambda: "
                  "1)`; install it with `pip install .` in the source "
                  "checkout; the other peers are measured anyway)", file=log)
        runnable = [p for p in peers_list if p not in missing]

        results, used, errors, raws = {}, {}, [], {}
        for meas in args.measurements:
            todo = [p for p in runnable if p in APPLIES[meas]]
            for p in todo:
                used[(p, meas)] = planned_params(p, meas, params)
            # Rounds, each running every peer once in turn, each figure the
            # best of its peer's rounds: the machine's load drifts over
            # minutes, and a peer measured in one stretch would carry that
            # stretch's load into its ratio to the others.
            for r in range(args.repeat):
                for p in todo:
                    if "error" in (results.get((p, meas)) or {}):
                        continue                    # it failed: not again
                    nums = used[(p, meas)]
                    print("  %-8s %-8s %s%s ..." % (
                        p, meas, " ".join("{:,}".format(v) for v in nums),
                        " (round %d/%d)" % (r + 1, args.repeat)
                        if args.repeat > 1 else ""),
                        end="", file=log, flush=True)
                    t0 = time.time()
                    raw, err = runner.run(p, meas, nums, args.timeout)
                    fig = None
                    if err is None:
                        try:
                            fig = derive(meas, nums, raw)
                        except (KeyError, ValueError, TypeError,
                                ZeroDivisionError) as e:
                            err = "bad figures %r: %s" % (raw, e)
                    print(" %.1fs" % (time.time() - t0), file=log,
                          flush=True)
                    if err:
                        errors.append("%s %s: %s" % (p, meas, err))
                        results[(p, meas)] = {"error": err}
                        continue
                    raws.setdefault("%s/%s" % (p, meas), []).append(raw)
                    results[(p, meas)] = best_of(results.get((p, meas)), fig)
    finally:
        runner.close()

    shown = [p for p in peers_list]
    table, verdicts = render(results, used, params, shown, args)
    out = sys.stdout
    print("", file=out)
    env = ["CPython %s" % platform.python_version(),
           "%s %s" % (platform.system(), platform.machine()),
           "%d CPUs" % (os.cpu_count() or 0)]
    env += [runner.versions[p] for p in peers_list if p in runner.versions]
    print("; ".join(env) + ".", file=out)
    print("Erlang `erl +S 1`, Go GOMAXPROCS=1; the Python peers with the "
          "garbage collector %s while timing; each figure from a fresh "
          "process%s." % ({"on": "on", "off": "off", "both": "on (and the "
                           "actors runtime also with it off, beside it)"}
                          [args.gc],
                          ", best of %d rounds, each running every peer "
                          "once in turn" % args.repeat
                          if args.repeat > 1 else ""), file=out)
    print("", file=out)
    print(table, file=out)
    print("", file=out)
    if ("pykka" in peers_list and "pykka" not in missing
            and set(args.measurements) & {"pingpong", "ask", "park"}):
        print("Pykka runs one OS thread per actor, so it takes part in "
              "ping-pong (tell both ways), ask and park only, with the N "
              "shown; skynet, idle class-style actors (N={:,}), the ring "
              "and the mailbox senders would each need that many threads."
              .format(args.idle_count), file=out)
    reduced = ["%s %s N={:,}".format(nums[0]) % k
               for k, nums in used.items()
               if k[1] in ("park", "idle") and k[0] != "pykka"
               and nums != params[k[1]]]
    if reduced:
        print("N reduced to fit the memory available: "
              + ", ".join(reduced), file=out)
    for p, why in missing.items():
        print("not measured: %s (%s)" % (LABEL[p], why), file=out)
    for e in errors:
        print("error: %s" % e, file=out)
    print("command: python benchmarks/bench_actors.py %s"
          % " ".join(argv), file=out)
    print("total %.0fs" % (time.time() - started), file=log)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "environment": env,
                "params": params,
                "used": {"%s/%s" % k: v for k, v in used.items()},
                "results": {"%s/%s" % k: v for k, v in results.items()},
                "raw": raws,
                "verdicts": verdicts,
                "missing": missing,
                "errors": errors,
                "gc": args.gc,
                "command": ["benchmarks/bench_actors.py"] + argv,
            }, f, indent=2)
    # Exit status: 0 when every peer that could run did; the targets are
    # reported, not enforced, so a MISS does not fail the command.
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
