"""The CPython floor under peer_actors.py: the same hot loops, with every
actors call replaced by a C builtin that does no work, run in one thread.

    python peers/peer_floor.py pingpong|ask|ring ARG... [--no-gc]

What it times is only what the interpreter spends on the benchmark's own
Python (the loops, the `actors.X` lookups, the calls and their arguments,
the comparisons), never a message: for ping-pong both actors' loop bodies
once per round trip, for ask the asker's loop and Echo.receive, for the
ring one node's loop body per message.  No actor runtime running that
Python on this interpreter can be faster; a target below it is out of
reach whatever the runtime does.  (The no-op stand-ins are module
attributes, as `actors.send` is, so the lookups specialize the same way.)
"""
import time
import types

import _common

# Stand-ins with the signatures of the calls they replace, each a C function
# that allocates nothing: send(dest, msg) and ask(dest, msg) return msg,
# receive() returns 3 (a cached small int, never 0 or None).
stub = types.ModuleType("stub")
stub.send = {}.get
stub.ask = {}.get
stub.receive = (5).bit_length


def main_pingpong(n, repeat):
    me, p = object(), object()
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(n):                 # the ping side (main_pingpong)
            stub.send(p, me)
            stub.receive()
        for _ in range(n):                 # the pong side (pong)
            sender = stub.receive()
            if sender is None:
                break
            stub.send(sender, 1)
        s = time.perf_counter() - t0
        best = s if best is None else min(best, s)
    _common.finish({"seconds": best})


class Echo:
    def receive(self, msg):
        return msg


def main_ask(n, repeat):
    echo, handler = object(), Echo()
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(n):                 # the asker (main_ask) ...
            stub.ask(echo, i)
            handler.receive(i)             # ... and the actor's handler
        s = time.perf_counter() - t0
        best = s if best is None else min(best, s)
    _common.finish({"seconds": best})


def main_ring(n, laps):
    m = n * laps
    nxt = object()
    t0 = time.perf_counter()
    for _ in range(m):                     # ring_node's loop, once a message
        t = stub.receive()
        if t == 0:
            break
        stub.send(nxt, t - 1)
    _common.finish({"seconds": time.perf_counter() - t0, "messages": m})


def main():
    meas, nums, keep_gc = _common.parse_argv()
    fn = globals().get("main_" + meas)
    if fn is None:
        raise SystemExit("the floor has no %s measurement" % meas)
    _common.gc_off(keep_gc)
    fn(*nums)


if __name__ == "__main__":
    main()
