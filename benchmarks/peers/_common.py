"""Shared plumbing of the Python peer programs (not a peer itself).

Every peer program is run as::

    python peers/peer_X.py MEASUREMENT ARG... [--no-gc]

and prints exactly one JSON line on stdout with its raw figures; the
parent (bench_actors.py) turns them into the table.  The measurements and
their arguments are the same for every peer, Erlang and Go included:

    skynet  LEAVES              {"seconds", "result"}
    pingpong ROUNDTRIPS REPEAT  {"seconds"}  (best of REPEAT runs)
    ask     ROUNDTRIPS REPEAT   {"seconds"}  (best of REPEAT runs)
    park    N                   {"seconds", "rss_delta", "parked"}
    idle    N                   {"seconds", "rss_delta"}
    ring    N LAPS              {"seconds", "messages"}
    mailbox SENDERS PER_SENDER  {"seconds", "messages"}
"""
import gc
import json
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _memory import rss_bytes  # noqa: E402

MEASUREMENTS = {
    "skynet": 1, "pingpong": 2, "ask": 2, "park": 1, "idle": 1,
    "ring": 2, "mailbox": 2,
}


def parse_argv(argv=None):
    """(measurement, [int args], keep_gc) from the command line.  The
    collector stays on (as programs run) unless --no-gc is given; --gc,
    the former opt-in, is still accepted."""
    argv = list(sys.argv[1:] if argv is None else argv)
    keep_gc = "--no-gc" not in argv
    argv = [a for a in argv if a not in ("--gc", "--no-gc")]
    if not argv or argv[0] not in MEASUREMENTS:
        sys.exit("usage: %s {%s} ARG... [--no-gc]"
                 % (sys.argv[0], "|".join(MEASUREMENTS)))
    meas = argv[0]
    nums = [int(a) for a in argv[1:]]
    if len(nums) != MEASUREMENTS[meas]:
        sys.exit("%s takes %d numeric argument(s)" % (meas, MEASUREMENTS[meas]))
    return meas, nums, keep_gc


def gc_off(keep_gc):
    """Collect now, then turn the collector off while timing (the same for
    every Python peer) if --no-gc was given."""
    gc.collect()
    if not keep_gc:
        gc.disable()


def skynet_expected(leaves):
    return leaves * (leaves - 1) // 2


def check_leaves(leaves):
    n = leaves
    while n > 1 and n % 10 == 0:
        n //= 10
    if n != 1:
        sys.exit("skynet: LEAVES must be a power of 10, not %d" % leaves)


def finish(result):
    """Print the figures and leave at once: tearing down a million parked
    actors is not what is measured."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
