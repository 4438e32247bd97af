"""Three nodes: membership spreads by gossip to a full mesh (c only knows
a, a only knows b); certs mode with per-node keys; node='any'."""
import pytest

zmq = pytest.importorskip("zmq")
import zmq.auth

from test_cluster_app import NodeProc, config, free_port


def run_mesh(tmp_path, security):
    pa, pb, pc = free_port(), free_port(), free_port()
    stop = str(tmp_path / "stop")
    extra = {}
    seeds_b, seeds_c = [pb], [pa]
    if security == "certs":
        d = tmp_path / "certs"
        d.mkdir()
        for n in "abc":
            zmq.auth.create_certificates(str(d), n)
        extra = dict(security="certs", cert_dir=str(d), cookie=None)
    procs = []

    def start(name, port, seeds, **p):
        cfg = config(name, port, **extra)
        if security == "certs":
            cfg["seeds"] = ["%s@tcp://127.0.0.1:%d" % s for s in seeds]
        else:
            cfg["seeds"] = ["tcp://127.0.0.1:%d" % s[1] for s in seeds]
        params = {"name": name, "lifetime": 30, "stop_file": stop,
                  "config": cfg}
        params.update(p)
        procs.append(NodeProc(p.pop("scenario", "idle"), params))
        return procs[-1]

    try:
        b = start("b", pb, [])
        b.expect("ready")
        a = start("a", pa, [("b", pb)], wait_nodes=1)
        a.expect("ready")
        c = start("c", pc, [("a", pa)], scenario="spawn_any", wait_nodes=2,
                  spawns=4)
        r = c.expect("result", 20)
        assert r["nodes"] == ["a", "b"]
        assert set(r["where"]) <= {"a", "b", "c"} and len(r["where"]) == 4
        open(stop, "w").close()
        assert b.expect("stopped")["nodes"] in (["a", "c"], ["a"], [])
        for p in procs:
            assert p.wait(20) == 0
    finally:
        for p in procs:
            p.kill()


def test_gossip_full_mesh_cookie(tmp_path):
    run_mesh(tmp_path, "cookie")


def test_gossip_full_mesh_certs(tmp_path):
    run_mesh(tmp_path, "certs")
