"""Forming a three-node mesh with traffic during the join: no record is
dropped (every node's bad-frame counters stay at zero, every message
arrives in order), and the three stopping at once (their byes crossing)
logs no bad frame either."""
import os

import pytest

zmq = pytest.importorskip("zmq")

from test_cluster_app import NodeProc, config, free_port


def test_three_node_join_with_traffic_drops_nothing(tmp_path):
    ports = {n: free_port() for n in "abc"}
    seeds = {"a": [], "b": [ports["a"]], "c": [ports["b"]]}
    stop = str(tmp_path / "stop")
    n = 3000
    procs = {}
    try:
        for name in "abc":            # no waiting: the joins overlap
            procs[name] = NodeProc("mesh_traffic", {
                "name": name, "others": [o for o in "abc" if o != name],
                "n": n, "stop_file": stop,
                "config": config(name, ports[name], seeds[name])})
        results = {name: p.expect("result", 60) for name, p in procs.items()}
        for name, r in results.items():
            others = [o for o in "abc" if o != name]
            assert r["nodes"] == others, (name, r)
            assert r["sent"] == {o: n for o in others}, (name, r)
            assert r["counts"] == {o: n for o in others}, (name, r)
            assert r["out_of_order"] == 0, (name, r)
            st = r["stats"]
            assert st["bad_frames"] == 0, (name, st)
            assert st["bad_frames_unknown"] == 0, (name, st)
            assert all(q["bad_frames"] == 0 for q in st["peers"].values()), \
                (name, st)
        open(stop, "w").close()       # all three stop at once
        for name, p in procs.items():
            assert p.expect("exit", 30)["result"] == "ok"
            assert p.wait(20) == 0
        for name, p in procs.items():
            p.output_done()
            err = "".join(p.stderr)
            assert "bad frame" not in err, (name, err)
            assert "without confirmation" not in err, (name, err)
    finally:
        for p in procs.values():
            p.kill()
