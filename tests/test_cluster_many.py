"""Many nodes on one machine (issue 13): 16 node processes on loopback,
each seeded with the first one only.  Membership converges to the full
mesh, a broadcast reaches every node, killing a quarter of them (kill -9)
is seen by every survivor, and the restarted ones (new incarnations,
new ports) rejoin everywhere.  Bounded: each phase waits at most a minute
(the whole test takes ~30 s here)."""
import pytest

zmq = pytest.importorskip("zmq")

from test_cluster_app import procs, start  # noqa: F401 (procs: a fixture)

N = 16
KILLED = range(12, 16)            # a quarter; n0, the seed, survives


def _member(procs, tmp_path, i, seed):
    name = "n%d" % i
    return start(procs, "scale_app:member", {
        "name": name, "broadcast": i == 0,
        "bcast_file": str(tmp_path / "bcast"),
        "stop_file": str(tmp_path / "stop"),
        "config": dict(name=name, listen="tcp://127.0.0.1:*",
                       seeds=[seed] if seed else [], cookie="many-cookie",
                       join_timeout=60.0)})


def _wait_members(node, want, timeout=60):
    """The members event that lists exactly the names in want (a dict
    name -> incarnation, or a set of names); returns it."""
    while True:
        got = node.expect("members", timeout)["members"]
        if isinstance(want, dict) and got == want:
            return got
        if not isinstance(want, dict) and set(got) == want:
            return got


def test_sixteen_nodes(procs, tmp_path):
    names = ["n%d" % i for i in range(N)]
    nodes = [_member(procs, tmp_path, 0, None)]
    seed = nodes[0].expect("up", 60)["address"]
    for i in range(1, N):
        nodes.append(_member(procs, tmp_path, i, seed))
    # membership converges: every node lists the 15 others, and all agree
    # on every node's incarnation
    views = [_wait_members(x, set(names) - {names[i]})
             for i, x in enumerate(nodes)]
    incs = {}
    for v in views:
        for name, inc in v.items():
            assert incs.setdefault(name, inc) == inc
    # a broadcast reaches every node
    (tmp_path / "bcast").touch()
    assert nodes[0].expect("broadcast", 30)["to"] == N - 1
    for x in nodes[1:]:
        assert x.expect("bcast", 30)["frm"] == "n0"
    # a quarter killed: every survivor sees each of them down
    for i in KILLED:
        nodes[i].kill()
    dead = {names[i] for i in KILLED}
    for i, x in enumerate(nodes):
        if i in KILLED:
            continue
        seen = {}
        while set(seen) != dead:
            d = x.expect("nodedown", 60)
            seen[d["name"]] = d["reason"]
        assert set(seen.values()) == {"noconnection"}, (names[i], seen)
    # restarted: they rejoin, as new incarnations, on every node
    for i in KILLED:
        nodes[i] = _member(procs, tmp_path, i, seed)
    views = [_wait_members(x, set(names) - {names[i]})
             for i, x in enumerate(nodes)]
    new = {}
    for v in views:
        for name, inc in v.items():
            assert new.setdefault(name, inc) == inc
    for name in names:
        assert (new[name] != incs[name]) == (name in dead), name
    (tmp_path / "stop").touch()
    for x in nodes:
        assert x.wait(60) == 0, "".join(x.stderr[-20:])


def test_gossip_cannot_bring_back_an_incarnation_declared_down():
    # With many nodes, a survivor that has declared a killed node down can
    # still hear it listed by one that has not yet: that must not make it a
    # member again (the test above saw the killed incarnation come back).
    # Run in the node's own scheduler, against its gossip handler.
    from _subproc import assert_ok, run_in_subprocess
    proc = run_in_subprocess("""
        import actors
        from actors import _cluster
        def members(node, inc):       # a gossip record naming 'ghost'
            node.on_members(None, ("members", [
                ("ghost", inc, "tcp://127.0.0.1:9", None)]))
            p = node.peers.get("ghost")
            return p and p.inc
        def hello(node, inc):         # its own hello
            node.on_hello(b"ghost\\0%d" % inc, (
                "hello", "ghost", inc, "tcp://127.0.0.1:9", None,
                node.addr, False, []))
            p = node.peers.get("ghost")
            return p and p.inc
        def main():
            node = _cluster._node
            print(members(node, 5))
            node.peer_down(node.peers["ghost"], "noconnection")
            print(members(node, 5), members(node, 4))   # buried: not back
            print(hello(node, 4))      # a straggler of an older one: no
            print(hello(node, 5))      # that incarnation itself: back
            node.peer_down(node.peers["ghost"], "noconnection")
            print(members(node, 6))    # a newer incarnation: a restart
        actors.run(main, node=actors.NodeConfig(
            name="a", listen="tcp://127.0.0.1:*", cookie="c"))
    """)
    assert_ok(proc, "5\nNone None\nNone\n5\n6\n")
