"""Ask cycles across the nodes of a cluster (issue 11, item 4): an ask that
closes a cycle of asks fails at once with AskCycleError and the chain of
pids, the asker first and last, instead of every ask of the cycle timing
out; a chain of asks that ends in an answer is left alone.  Relays on
loopback nodes (askcycle_app.py); every ask has timeout=30."""
import pytest

zmq = pytest.importorskip("zmq")

import actors
from actors._backend import core
from test_cluster_app import config, free_port, procs, start  # noqa: F401 (procs: a fixture)

try:                                      # the nodes run either backend
    import actors._core                   # noqa: F401
    BACKENDS = ["native", "greenlet"]
except ImportError:                       # no native core on this platform
    BACKENDS = ["greenlet"]


def _cluster(procs, tmp_path, layout, wire, ask, backend="native",
             serializer="pickle"):
    """layout: {node: [relay, ...]}, the first node drives.  Returns the
    driver's result and each node's ask_cycles count."""
    env = {"ACTORS_BACKEND": backend}
    names = list(layout)
    ports = {n: free_port() for n in names}
    stop = str(tmp_path / "stop")
    nodes = {}
    for i, n in enumerate(reversed(names)):   # the driver starts last
        seeds = [ports[m] for m in names if m != n and m in nodes]
        params = {"name": n, "relays": layout[n], "stop_file": stop,
                  "config": config(n, ports[n], seeds,
                                   serializer=serializer)}
        if n == names[0]:
            params.update(driver=True, nodes=len(names) - 1,
                          wire=wire, ask=ask)
        nodes[n] = start(procs, "askcycle_app:relays", params, env=env)
        nodes[n].expect("ready", 30)
    r = nodes[names[0]].expect("result", 60)
    print("%s: answered in %.3f s" % (wire, r["took"]))
    open(stop, "w").close()
    counts = {n: p.expect("stopped", 30)["ask_cycles"]
              for n, p in nodes.items()}
    for p in nodes.values():
        assert p.wait(30) == 0
    return r, counts


def _chain(r, *relays):
    return [r["pids"][n] for n in relays]


@pytest.mark.parametrize("backend,serializer", [
    (b, "pickle") for b in BACKENDS] + [(BACKENDS[0], "msgpack")])
def test_two_nodes_a_b_a(procs, tmp_path, backend, serializer):
    if serializer == "msgpack":
        pytest.importorskip("msgpack")
    r, counts = _cluster(
        procs, tmp_path, {"a": ["A"], "b": ["B"]},
        [["a_A", "b_B"], ["b_B", "a_A"]], "a_A", backend, serializer)
    # main asks A, A asks B, B asks A: B's ask closes the cycle and fails;
    # B answers A with the chain, A answers main
    assert r["answer"] == ["cycle", _chain(r, "b_B", "a_A", "b_B")], r
    assert r["took"] < 5, r
    assert counts == {"a": 0, "b": 1}


@pytest.mark.parametrize("backend", BACKENDS)
def test_three_nodes_a_b_c_a(procs, tmp_path, backend):
    r, counts = _cluster(
        procs, tmp_path, {"a": ["A"], "b": ["B"], "c": ["C"]},
        [["a_A", "b_B"], ["b_B", "c_C"], ["c_C", "a_A"]], "a_A", backend)
    assert r["answer"] == ["cycle", _chain(r, "c_C", "a_A", "b_B", "c_C")], r
    assert r["took"] < 5, r
    assert counts == {"a": 0, "b": 0, "c": 1}


def test_chain_across_three_nodes_that_ends_is_no_cycle(procs, tmp_path):
    r, counts = _cluster(
        procs, tmp_path, {"a": ["A"], "b": ["B"], "c": ["C"]},
        [["a_A", "b_B"], ["b_B", "c_C"], ["c_C", None]], "a_A")
    assert r["answer"] == "fine", r
    assert counts == {"a": 0, "b": 0, "c": 0}


@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_local_and_remote_cycle(procs, tmp_path, backend):
    # A and B on node a, C on node b: A -> C -> B -> A; B's (local) ask of
    # A closes it, found by a probe through node b
    r, counts = _cluster(
        procs, tmp_path, {"a": ["A", "B"], "b": ["C"]},
        [["a_A", "b_C"], ["b_C", "a_B"], ["a_B", "a_A"]], "a_A", backend)
    assert r["answer"] == ["cycle", _chain(r, "a_B", "a_A", "b_C", "a_B")], r
    assert r["took"] < 5, r
    assert counts == {"a": 1, "b": 0}


def test_malformed_probes_are_refused():
    """An admitted peer's probe that does not hold up is a bad record
    (ValueError, counted by the node), never followed."""
    a = core._pid_at("peer", 1, 5)        # an actor of node 'peer'
    node = a.node
    here = core._pid(0, 7)
    for rec in [("ac", "1", [a, here]), ("ac", 1, "ab"), ("ac", 1, [a]),
                ("ac", 1, [a, 3]), ("ac", 1, [a] * 1001 + [here]),
                ("ac", 1, [here, a]),        # not for this node
                ("ac", 1, [a, core._pid_at("other", 1, 2), here]),
                ("ac", 1)]:
        with pytest.raises(ValueError):
            core._in_ask_probe(node, rec)
    core._in_ask_probe(node, ("ac", 1, [a, here]))   # nobody there: nothing


def test_ask_cycle_error_crosses_nodes_with_its_chain():
    """An Actor whose ask fails answers its own asker with the error: it
    unpickles on the other node with the same chain."""
    import pickle
    a, b = core._pid(0, 3), core._pid_at("peer", 1, 4)
    e = pickle.loads(pickle.dumps(actors.AskCycleError([a, b, a])))
    assert type(e) is actors.AskCycleError and e.chain == [a, b, a]
    assert str(e) == str(actors.AskCycleError([a, b, a]))
