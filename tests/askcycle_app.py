"""Node programs for test_cluster_askcycle.py (no tests here): run as
NodeProc("askcycle_app:NAME", params).

Every node runs relays: process-style actors registered cluster-wide as
'<node>_<relay>'.  A relay told ("to", pid) answers each request by asking
pid in turn (None: it answers 'fine' itself), and answers ("cycle", chain)
when its ask raised AskCycleError; it passes on only its first request.  The driver node wires the relays into a
chain or a cycle and asks the first one."""
import os
import time

import actors
from actors import _cluster, _core
from test_cluster_app import out, wait_for_name, wait_nodes

__test__ = False


def portable(pid):
    """(node name, id) of a pid: the same on every node."""
    return [_core._node_ident(pid.node)[0], pid.id]


@actors.spawnable
def relay():
    nxt = None
    forwarded = False
    while True:
        msg = actors.receive()
        if isinstance(msg, tuple) and msg[0] == "to":
            nxt = msg[1]
            actors.send(msg[2], ("wired", actors.self()))
            continue
        if not isinstance(msg, actors.Request):
            continue
        if nxt is None:
            msg.reply("fine")
            continue
        if forwarded:                     # once: a cycle's leftover
            msg.reply("again")            # requests would go round forever
            continue
        forwarded = True
        try:
            msg.reply(actors.ask(nxt, msg.msg, timeout=30))
        except actors.AskCycleError as e:
            msg.reply(("cycle", [portable(p) for p in e.chain]))


def relays(p):
    """Start p['relays'] relays; stay until the file p['stop_file'] is
    there; report this node's ask_cycles count."""
    for r in p["relays"]:
        _cluster.register_cluster("%s_%s" % (p["name"], r),
                                  actors.spawn(relay))
    out(event="ready")
    if p.get("driver"):
        drive(p)
    while not os.path.exists(p["stop_file"]):
        actors.sleep(0.02)
    out(event="stopped", ask_cycles=actors.metrics()["ask_cycles"])
    return "ok"


def drive(p):
    """p['wire']: [[relay name, next relay name or None], ...]; ask
    p['ask'] (timeout 30) and report the answer and how long it took."""
    wait_nodes(p["nodes"], 20)
    pids = {}
    for name, nxt in p["wire"]:
        for n in (name, nxt):
            if n is not None and n not in pids:
                pids[n] = wait_for_name(n, 20)
    for name, nxt in p["wire"]:
        actors.send(pids[name], ("to", pids[nxt] if nxt else None,
                                 actors.self()))
        actors.receive(lambda m: isinstance(m, tuple) and m[0] == "wired",
                       timeout=10)
    t0 = time.monotonic()
    try:
        answer = actors.ask(pids[p["ask"]], "go", timeout=30)
    except Exception as e:
        answer = ["raised", repr(e)]
    took = time.monotonic() - t0
    out(event="result", answer=answer, took=took,
        pids={n: portable(pid) for n, pid in pids.items()})
