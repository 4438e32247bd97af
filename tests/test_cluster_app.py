"""Node programs for the cluster tests (no tests here).

Each test node is a subprocess running `python -c` that imports this module
(tests/ on sys.path) and calls node(scenario, params): the node prints JSON
lines on stdout ("ready", results) that the test reads.  Functions spawned
remotely live here too, so that every node can import them.
"""
import json
import os
import sys
import time

import pytest

import actors
from actors import _cluster, _core
from _ports import free_port

__test__ = False                  # nothing for pytest to collect


def out(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


# -- remote actors ------------------------------------------------------------

class Echo(actors.Actor):
    def receive(self, msg):
        if msg == "boom":
            raise ValueError("boom")
        return ("echo", msg)


@actors.spawnable
def echo_loop():
    while True:
        msg = actors.receive()
        if isinstance(msg, tuple) and msg[0] == "ping":
            actors.send(msg[1], ("pong", msg[2]))
        elif msg == "die":
            raise RuntimeError("asked to die")
        elif msg == "quit":
            return


@actors.spawnable
def counter(report_to, expected):
    """Counts ('n', sender, i) messages, checks per-sender order."""
    last = {}
    n = 0
    bad = 0
    while n < expected:
        msg = actors.receive(timeout=30, default=None)
        if msg is None:
            break
        _, sender, i = msg
        if last.get(sender, -1) != i - 1:
            bad += 1
        last[sender] = i
        n += 1
    actors.send(report_to, ("counted", n, bad))


@actors.spawnable
def add(a, b, report_to):
    actors.send(report_to, ("sum", a + b, _cluster.node_name()))


def not_there():
    pass


not_there.__qualname__ = "no_such_function"   # no node can resolve it


def wait_for_name(name, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = _cluster.whereis_cluster(name)
        if pid is not None:
            return pid
        actors.sleep(0.01)
    raise TimeoutError("no cluster name %r" % name)


def wait_nodes(n, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(_cluster.nodes()) >= n:
            return
        actors.sleep(0.01)
    raise TimeoutError("nodes: %r" % (_cluster.nodes(),))


# -- scenarios (the main of a node) -------------------------------------------

def serve(p):
    """Register an Echo and an echo_loop cluster-wide; wait for 'stop' at
    the name '<name>_main'; report what the collector got."""
    _cluster.register_cluster(p["name"] + "_echo", actors.spawn(Echo))
    _cluster.register_cluster(p["name"] + "_loop", actors.spawn(echo_loop))
    _cluster.register_cluster(p["name"] + "_main", actors.self())
    out(event="ready", id=actors.self().id)
    got = []
    deadline = time.monotonic() + p.get("lifetime", 30)
    while time.monotonic() < deadline:
        msg = actors.receive(timeout=max(0.01, deadline - time.monotonic()),
                             default=None)
        if msg == "stop":
            break
        if msg is not None:
            got.append(repr(msg))
    out(event="stopped", got=got)
    return "ok"


def client(p):
    """Exercise send/ask/spawn/link/monitor against node p['peer']."""
    peer = p["peer"]
    wait_nodes(1)
    res = {"nodes": _cluster.nodes()}
    echo = wait_for_name(peer + "_echo")
    loop = wait_for_name(peer + "_loop")
    res["ask"] = list(actors.ask(echo, "hi", timeout=5))
    try:
        actors.ask(echo, "boom", timeout=5)
    except ValueError as e:
        res["ask_error"] = str(e)
    # Pids inside an ask and its reply come back as the same Pids
    res["ask_pid"] = actors.ask(echo, actors.self(), timeout=5)[1] == \
        actors.self()
    # an actor on a node that is not connected: ActorDeadError at once
    t0 = time.monotonic()
    try:
        actors.ask(_core._pid_at("ghost", 1, 5), "hi", timeout=5)
    except actors.ActorDeadError:
        res["ask_ghost_s"] = time.monotonic() - t0
    actors.send(loop, ("ping", actors.self(), 7))
    res["pong"] = list(actors.receive(timeout=5))
    # by name
    actors.send(peer + "_loop", ("ping", actors.self(), 8))
    res["pong_by_name"] = list(actors.receive(timeout=5))
    # remote spawn
    pid = actors.spawn(add, 2, 3, actors.self(), node=peer)
    res["spawned_on_remote"] = pid.node != 0
    res["sum"] = list(actors.receive(timeout=5))
    # monitor a remote actor that dies
    victim = actors.spawn(echo_loop, node=peer)
    ref = actors.monitor(victim)
    actors.send(victim, "die")
    d = actors.receive(lambda m: isinstance(m, actors.Down), timeout=5)
    res["down"] = [d.ref == ref, d.pid == victim, repr(d.reason)]
    # link, trapping exits
    actors.trap_exits(True)
    victim2 = actors.spawn(echo_loop, node=peer)
    actors.link(victim2)
    actors.send(victim2, "die")
    e = actors.receive(lambda m: isinstance(m, actors.Exit), timeout=5)
    res["exit"] = [e.pid == victim2, repr(e.reason)]
    # ask of a dead remote actor: its node answers ActorDeadError
    t0 = time.monotonic()
    try:
        actors.ask(victim, "hi", timeout=5)
    except actors.ActorDeadError:
        res["ask_dead_s"] = time.monotonic() - t0
    # monitor of a dead remote actor: noproc
    ref = actors.monitor(victim)
    d = actors.receive(lambda m: isinstance(m, actors.Down), timeout=5)
    res["noproc"] = d.reason
    # spawn of something that does not exist
    try:
        actors.spawn(not_there, node=peer)
    except Exception as e:
        res["bad_spawn"] = type(e).__name__
    actors.send(peer + "_main", "stop")
    out(event="result", **res)
    return "done"


def watch(p):
    """Monitor the peer's actor and node and link to it; report what
    arrives and how long after 'armed' it took."""
    peer = p["peer"]
    wait_nodes(1)
    loop = wait_for_name(peer + "_loop")
    actors.trap_exits(True)
    ref = actors.monitor(loop)
    actors.link(loop)
    _cluster.monitor_node(peer)
    # make sure the monitor and link reached the peer
    actors.send(loop, ("ping", actors.self(), 1))
    actors.receive(lambda m: isinstance(m, tuple) and m[0] == "pong",
                   timeout=5)
    out(event="armed")
    got = {}
    t0 = time.monotonic()
    while len(got) < 3 and time.monotonic() - t0 < 20:
        msg = actors.receive(timeout=1, default=None)
        if isinstance(msg, actors.Down):
            got["down"] = [msg.ref == ref, msg.reason]
        elif isinstance(msg, actors.Exit):
            got["exit"] = [msg.pid == loop, msg.reason]
        elif isinstance(msg, _cluster.NodeDown):
            got["nodedown"] = [msg.name, msg.reason]
    got["after"] = time.monotonic() - t0
    got["nodes"] = _cluster.nodes()
    got["name_gone"] = _cluster.whereis_cluster(peer + "_loop") is None
    out(event="result", **got)
    return "done"


def blast(p):
    """Send p['n'] messages to a counter spawned on the peer, then return
    at once: the graceful stop must deliver all of them."""
    peer = p["peer"]
    wait_nodes(1)
    collector = wait_for_name(peer + "_main")
    c = actors.spawn(counter, collector, p["n"], node=peer)
    me = actors.self()
    for i in range(p["n"]):
        actors.send(c, ("n", me, i))
    out(event="sent", n=p["n"])
    return "sent"


def idle(p):
    """Stay up until told to stop (by 'stop' at '<name>_main') or the
    lifetime ends; report nodes seen.  hello_inc: the hello carries this
    node's incarnation; report_got: report each message when it comes."""
    _cluster.register_cluster(p["name"] + "_main", actors.self())
    if p.get("wait_nodes"):
        wait_nodes(p["wait_nodes"])
    inc = actors.node_stats()["incarnation"]
    out(event="ready", id=actors.self().id, nodes=_cluster.nodes(), inc=inc)
    if p.get("hello_to"):
        actors.send(p["hello_to"] + "_main", ("hi", p["name"], inc)
                    if p.get("hello_inc") else ("hi", p["name"]))
    deadline = time.monotonic() + p.get("lifetime", 30)
    got = []
    while time.monotonic() < deadline:
        msg = actors.receive(timeout=0.1, default=None)
        if msg == "stop":
            break
        if msg is not None:
            got.append(repr(msg))
            if p.get("report_got"):
                out(event="got", msg=repr(msg))
            if isinstance(msg, tuple) and msg[0] == "counted":
                break
        if p.get("stop_file") and os.path.exists(p["stop_file"]):
            break
        if p.get("report_nodes"):
            out(event="nodes", nodes=_cluster.nodes())
    out(event="stopped", got=got, nodes=_cluster.nodes(),
        stats=actors.node_stats())
    return "ok"


def node(scenario, params):
    if ":" in scenario:               # "module:function" of another file
        import importlib
        mod, _, fn = scenario.partition(":")
        main = getattr(importlib.import_module(mod), fn)
        if getattr(main, "whole_process", False):
            return main(params)       # it runs the node itself
    else:
        main = globals()[scenario]
    cfg = _cluster.NodeConfig(**params["config"])
    try:
        result = actors.run(_cluster.run_node, cfg, main,
                            (params,), {})
    except _cluster.NodeStartError as e:
        out(event="start_error", error=str(e))
        sys.exit(3)
    out(event="exit", result=result)


# -- the test side: starting and stopping node processes ----------------------

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
# The folder holding the `actors` this test imported (the installed package,
# or a source tree built in place): the nodes must run the same one.
ACTORS_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(actors.__file__)))


class NodeProc:
    """A node in a subprocess; its JSON lines are read by a thread."""

    def __init__(self, scenario, params, env=None, prefix=()):
        import queue
        import subprocess
        import threading
        code = ("import sys; sys.path.insert(0, %r); import json, "
                "test_cluster_app as app; app.node(%r, json.loads(sys.argv[1]))"
                % (TESTS_DIR, scenario))
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = ACTORS_ROOT + os.pathsep + full_env.get(
            "PYTHONPATH", "")
        full_env.pop("ACTORS_COOKIE", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            list(prefix) + [sys.executable, "-X", "faulthandler", "-c", code,
             json.dumps(params)],
            cwd=TESTS_DIR, env=full_env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr = []
        self.readers = [threading.Thread(target=f, daemon=True)
                        for f in (self._read, self._read_err)]
        for t in self.readers:
            t.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                pass
        self.lines.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def expect(self, event, timeout=15):
        import queue
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                msg = self.lines.get(timeout=max(0.01, left))
            except queue.Empty:
                msg = None
                if left > 0:
                    continue
            if msg is None:
                raise AssertionError("no %r from the node (exit %r):\n%s" % (
                    event, self.proc.poll(), "".join(self.stderr[-40:])))
            if msg.get("event") == event:
                return msg

    def wait(self, timeout=15):
        try:
            return self.proc.wait(timeout)
        except Exception:
            self.kill()
            raise

    def output_done(self, timeout=5):
        """After the process ended: wait until its output is all read."""
        for t in self.readers:
            t.join(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def config(name, port, seeds=(), cookie="secret-cookie", **kw):
    c = dict(name=name, listen="tcp://127.0.0.1:%d" % port,
             seeds=["tcp://127.0.0.1:%d" % s for s in seeds], cookie=cookie)
    c.update(kw)
    return c


def spawn_any(p):
    """Wait for the full mesh, spawn on node='any' a few times."""
    wait_nodes(p["wait_nodes"])
    where = []
    for i in range(p.get("spawns", 0)):
        actors.spawn(add, i, 0, actors.self(), node="any")
        where.append(actors.receive(timeout=5)[2])
    out(event="result", nodes=_cluster.nodes(), where=where)
    return "ok"


def sink(report_to, senders, n, timeout=30.0):
    """Counts ('n', sender, i) from each sender (n each), checks order;
    reports ('sunk', {sender: count}, out_of_order)."""
    counts = {s: 0 for s in senders}
    bad = 0
    deadline = time.monotonic() + timeout
    while any(c < n for c in counts.values()):
        left = deadline - time.monotonic()
        msg = actors.receive(timeout=max(0.0, left), default=None)
        if msg is None:
            break
        _, sender, i = msg
        if counts.get(sender, -1) != i:
            bad += 1
        counts[sender] = i + 1
    actors.send(report_to, ("sunk", counts, bad))


def mesh_traffic(p):
    """Send p['n'] messages to every other node's sink, starting as soon
    as its name is known (while the mesh is still forming); report what
    the local sink got and the node's counters; stay up until stop_file."""
    me = actors.self()
    name, others, n = p["name"], p["others"], p["n"]
    s = actors.spawn(sink, me, others, n)
    _cluster.register_cluster(name + "_sink", s)
    out(event="ready")
    sent = {o: 0 for o in others}
    deadline = time.monotonic() + 30
    while any(v < n for v in sent.values()) and time.monotonic() < deadline:
        for o in others:
            pid = _cluster.whereis_cluster(o + "_sink")
            if pid is None or sent[o] >= n:
                continue
            for i in range(sent[o], min(n, sent[o] + 97)):
                actors.send(pid, ("n", name, i))
            sent[o] = min(n, sent[o] + 97)
        actors.sleep(0.001)
    _, counts, bad = actors.receive(
        lambda m: isinstance(m, tuple) and m[0] == "sunk", timeout=40)
    out(event="result", sent=sent, counts=counts, out_of_order=bad,
        nodes=_cluster.nodes(), stats=actors.node_stats())
    deadline = time.monotonic() + p.get("lifetime", 30)
    while time.monotonic() < deadline and not os.path.exists(p["stop_file"]):
        actors.sleep(0.05)
    return "ok"


def msgpack_extras(p):
    """With serializer='msgpack': a message msgpack cannot encode is logged
    and dropped, the node keeps serving; exception reasons are pairs."""
    peer = p["peer"]
    wait_nodes(1)
    loop = wait_for_name(peer + "_loop")
    res = {}
    actors.send(loop, ("ping", actors.self(), {1, 2}))   # a set: no msgpack
    actors.send(loop, ("ping", actors.self(), 9))
    res["pong"] = list(actors.receive(timeout=5))
    try:
        actors.spawn(add, {1}, 2, actors.self(), node=peer)
    except TypeError as e:
        res["spawn_error"] = str(e)
    actors.trap_exits(True)
    victim = actors.spawn(echo_loop, node=peer)
    actors.link(victim)
    actors.send(victim, "die")
    e = actors.receive(lambda m: isinstance(m, actors.Exit), timeout=5)
    res["exit_reason"] = list(e.reason)
    res["stats"] = actors.node_stats()
    actors.send(peer + "_main", "stop")
    out(event="result", **res)
    return "done"


def partition(p):
    """Joined, then (the test cuts the link) NodeDown and the Down of a
    monitor of the peer's actor, then (the test restores it) the same
    incarnation back and a message each way."""
    peer = p["peer"]
    _cluster.register_cluster(p["name"] + "_main", actors.self())
    wait_nodes(1, 20)
    peer_inc = actors.node_stats()["peers"][peer]["incarnation"]
    _cluster.monitor_node(peer)
    ref = actors.monitor(wait_for_name(peer + "_main", 10))
    out(event="joined")
    msg = actors.receive(lambda m: isinstance(m, _cluster.NodeDown),
                         timeout=30)
    down = actors.receive(lambda m: isinstance(m, actors.Down) and
                          m.ref == ref, timeout=5)
    out(event="down", reason=msg.reason, nodes=_cluster.nodes(),
        monitor=down.reason)
    wait_nodes(1, 40)
    inc = actors.node_stats()["peers"][peer]["incarnation"]
    out(event="rejoined", same_incarnation=inc == peer_inc)
    wait_for_name(peer + "_main", 10)
    actors.send(peer + "_main", ("hi", p["name"]))
    got = actors.receive(lambda m: isinstance(m, tuple) and m[0] == "hi",
                         timeout=10)
    out(event="result", got=list(got), nodes=_cluster.nodes())
    actors.sleep(0.5)                 # let the peer get ours too
    return "ok"


# -- streams across resets and stalls (test_cluster_seq.py) -------------------

def _rewatch(peer, state):
    """monitor_node(peer) again once it is back after a NodeDown."""
    if state["unwatched"] and peer in _cluster.nodes():
        _cluster.monitor_node(peer)
        state["unwatched"] = False


def stream_send(p):
    """Stream p['n'] ints to the peer's sink, one per p['pause'] seconds;
    count the NodeDowns seen meanwhile; report when the sink is done
    (p['stop_file'] exists)."""
    peer = p["peer"]
    _cluster.register_cluster(p["name"] + "_main", actors.self())
    wait_nodes(1, 20)
    sink = wait_for_name(peer + "_sink", 10)
    _cluster.monitor_node(peer)
    out(event="joined")
    state = {"unwatched": False}
    downs = 0

    def poll():
        nonlocal downs
        m = actors.receive(lambda m: isinstance(m, _cluster.NodeDown),
                           timeout=0, default=None)
        if m is not None:
            downs += 1
            state["unwatched"] = True
        _rewatch(peer, state)

    out(event="streaming")
    for i in range(p["n"]):
        actors.send(sink, i)
        if p.get("pause"):
            actors.sleep(p["pause"])
        poll()
    out(event="sent")
    deadline = time.monotonic() + p.get("lifetime", 60)
    while time.monotonic() < deadline and not os.path.exists(p["stop_file"]):
        m = actors.receive(timeout=0.05, default=None)
        if isinstance(m, _cluster.NodeDown):
            downs += 1
            state["unwatched"] = True
        _rewatch(peer, state)
    out(event="result", downs=downs)
    return "ok"


def stream_sink(p):
    """Receive the ints of stream_send, logging them and each NodeDown in
    the order they come; done at the last one or after p['quiet'] seconds
    without any.  stall_at: when that int comes, an actor here blocks the
    whole node in time.sleep(p['stall']) (a local stall)."""
    peer = p["peer"]
    n = p["n"]
    _cluster.register_cluster(p["name"] + "_sink", actors.self())
    wait_nodes(1, 20)
    _cluster.monitor_node(peer)
    out(event="joined")
    state = {"unwatched": False}
    log = []
    quiet = p.get("quiet", 8.0)
    last = time.monotonic()
    while time.monotonic() - last < quiet:
        m = actors.receive(timeout=0.05, default=None)
        _rewatch(peer, state)
        if m is None:
            continue
        if isinstance(m, _cluster.NodeDown):
            log.append("down")
            state["unwatched"] = True
            continue
        log.append(m)
        last = time.monotonic()
        if m == p.get("stall_at"):
            actors.spawn(time.sleep, p["stall"])
        if m == n - 1:
            break
    stats = actors.node_stats()
    out(event="result", log=log, gaps=stats.get("sequence_gaps"),
        late=stats["late_records"])
    open(p["stop_file"], "w").close()     # the sender may stop now
    actors.sleep(0.5)                 # before our bye makes it see a down
    return "ok"


# -- records only the sender can decode (test_cluster_badrecord.py) ----------
# Node a imports p['module'] (a module on its path only): its objects reach
# node b, which cannot rebuild them.

def _secret_replier(mod):
    while True:
        r = actors.receive()
        if isinstance(r, actors.Request):
            r.reply(mod.Secret("for your eyes only"))


def _secret_dier(mod):
    actors.receive(lambda m: m == "die")
    raise mod.SecretError("a reason b cannot rebuild")


def _replier():
    while True:
        r = actors.receive()
        if isinstance(r, actors.Request):
            r.reply(("echo", r.msg))


def badrecord_send(p):
    import importlib
    mod = importlib.import_module(p["module"])
    for name, fn in (("a_secret", _secret_replier), ("a_dier", _secret_dier)):
        _cluster.register_cluster(name, actors.spawn(fn, mod))
    wait_nodes(1, 20)
    sink = wait_for_name("b_sink", 10)
    echo = wait_for_name("b_echo", 10)
    out(event="joined")
    # one batch: the bad ones between good ones
    actors.send(sink, "m0")
    actors.send(sink, mod.Secret(1))
    actors.send(sink, "m2")
    actors.send(sink, [1, {"deep": (mod.Secret(2),)}])
    actors.send(sink, "m4")
    t0 = time.monotonic()
    try:
        actors.ask(echo, mod.Secret(3), timeout=10)
        ask_error = None
    except actors.ActorError as e:
        ask_error = str(e)
    took = time.monotonic() - t0
    fine = actors.ask(echo, "fine", timeout=10)
    actors.send(sink, "m5")
    out(event="result", ask_error=ask_error, took=took, fine=list(fine))
    while not os.path.exists(p["stop_file"]):
        actors.sleep(0.05)
    return "ok"


def badrecord_recv(p):
    _cluster.register_cluster("b_sink", actors.self())
    _cluster.register_cluster("b_echo", actors.spawn(_replier))
    wait_nodes(1, 20)
    out(event="joined")
    got = []
    while "m5" not in got:
        got.append(actors.receive(timeout=15))
    t0 = time.monotonic()
    try:
        actors.ask(wait_for_name("a_secret", 10), "give", timeout=10)
        reply_error = None
    except actors.ActorError as e:
        reply_error = str(e)
    took = time.monotonic() - t0
    dier = wait_for_name("a_dier", 10)
    ref = actors.monitor(dier)
    actors.send(dier, "die")
    down = actors.receive(lambda m: isinstance(m, actors.Down) and
                          m.ref == ref, timeout=10)
    stats = actors.node_stats()
    out(event="result", got=got, reply_error=reply_error, took=took,
        down_reason=repr(down.reason), stats=stats,
        node_counter=_cluster._node.undecodable, nodes=_cluster.nodes())
    open(p["stop_file"], "w").close()
    actors.sleep(0.3)
    return "ok"


def frail_send(p):
    """Send a batch that node b cannot decode at all (its version of the
    class refuses the state): b must declare a down, and a b."""
    import importlib
    mod = importlib.import_module(p["module"])
    _cluster.register_cluster("a_main", actors.self())
    wait_nodes(1, 20)
    sink = wait_for_name("b_sink", 10)
    _cluster.monitor_node("b")
    out(event="joined")
    # Not in the batch that carries our hello: a batch b cannot read
    # before it knows us counts for no peer (b then finds us silent).
    actors.sleep(0.3)
    actors.send(sink, "f0")
    actors.send(sink, mod.Frail(1))
    actors.send(sink, "f2")
    down = actors.receive(lambda m: isinstance(m, _cluster.NodeDown),
                          timeout=15, default=None)
    out(event="result", down=None if down is None else down.reason)
    while not os.path.exists(p["stop_file"]):
        actors.sleep(0.05)
    return "ok"


def frail_recv(p):
    import importlib
    importlib.import_module(p["module"])
    _cluster.register_cluster("b_sink", actors.self())
    wait_nodes(1, 20)
    _cluster.monitor_node("a")
    out(event="joined")
    log = []
    while True:
        m = actors.receive(timeout=15, default=None)
        if m is None:
            break
        if isinstance(m, _cluster.NodeDown):
            log.append("down")
            break
        log.append(repr(m))
    stats = actors.node_stats()
    out(event="result", log=log, bad_frames=stats["bad_frames"],
        gaps=stats["sequence_gaps"])
    open(p["stop_file"], "w").close()
    actors.sleep(0.3)
    return "ok"


# -- for the tests that start node processes ----------------------------------

@pytest.fixture
def procs():
    """Node processes a test starts (with start()), killed after it."""
    started = []
    yield started
    for p in started:
        p.kill()


def start(procs, scenario, params, **kw):
    p = NodeProc(scenario, params, **kw)
    procs.append(p)
    return p
