"""`actors top --node`: a three-node cluster on loopback observed over
ZeroMQ with the cookie, as an observer that never becomes a member; --once,
moving between the nodes in the live UI (tmux), a wrong cookie."""
import json
import os
import subprocess
import sys
import time

import pytest

from _subproc import TESTS_DIR
from _tmux import Tmux
from _ports import free_port

pytest.importorskip("zmq")

COOKIE = "top-cluster-cookie"

APP = r'''
import json, os, sys, threading, actors
from actors import _cluster

def parked_a():
    actors.receive()

def parked_b():
    actors.receive()

def parked_c():
    actors.receive()

def reporter(path):
    # what this node sees as its cluster, rewritten while it runs
    while True:
        with open(path + ".tmp", "w") as f:
            json.dump(_cluster.nodes(), f)
        os.replace(path + ".tmp", path)
        actors.sleep(0.1)

def main(tag, n, path):
    for _ in range(int(n)):
        actors.spawn(globals()["parked_" + tag])
    actors.spawn(reporter, path)
    print("ready", flush=True)
    actors.receive()
'''


@pytest.fixture
def cluster(tmp_path):
    """Nodes a, b, c (b and c join through a), each with its own parked
    actors (parked_a...): {name: (address, nodes-file)}."""
    (tmp_path / "topapp.py").write_text(APP)
    env = dict(os.environ, ACTORS_COOKIE=COOKIE,
               PYTHONPATH=str(tmp_path) + os.pathsep +
               os.environ.get("PYTHONPATH", ""))
    env.pop("ACTORS_COOKIE_FILE", None)
    procs, out = [], {}
    seed = None
    try:
        for tag, n in (("a", 5), ("b", 6), ("c", 7)):
            addr = "tcp://127.0.0.1:%d" % free_port()
            seen = str(tmp_path / ("%s.nodes" % tag))
            cmd = [sys.executable, "-m", "actors", "node", "--name", tag,
                   "--listen", addr, "--quiet", "--app", "topapp:main"]
            if seed:
                cmd += ["--seed", seed]
            proc = subprocess.Popen(cmd + ["--", tag, str(n), seen],
                                    cwd=TESTS_DIR, env=env,
                                    stdout=subprocess.PIPE, text=True)
            procs.append(proc)
            assert proc.stdout.readline().strip() == "ready"
            seed = seed or addr
            out[tag] = (addr, seen)
        _wait_members(out, 2)
        yield out
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _members(seen):
    try:
        with open(seen) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _wait_members(cluster, n, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(_members(s) or ()) == n for _, s in cluster.values()):
            return
        time.sleep(0.05)
    raise AssertionError("the cluster never formed: %r" % {
        k: _members(s) for k, (_, s) in cluster.items()})


def top(*args, cookie=COOKIE, timeout=60):
    env = dict(os.environ)
    env.pop("ACTORS_COOKIE", None)
    env.pop("ACTORS_COOKIE_FILE", None)
    if cookie is not None:
        env["ACTORS_COOKIE"] = cookie
    return subprocess.run([sys.executable, "-m", "actors", "top"] +
                          list(args), cwd=TESTS_DIR, capture_output=True,
                          text=True, timeout=timeout, env=env)


def _names(screen):
    return [line.split()[1] for line in screen.splitlines()[5:]]


def test_top_once_over_zmq(cluster, tmp_path):
    a, b = cluster["a"][0], cluster["b"][0]
    r = top("--node", a, "--once", "--interval", "0.2")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("actors top  node a (pid "), r.stdout
    assert lines[3] == "cluster: [a]  b  c", r.stdout
    assert lines[4].split()[:4] == ["PID", "NAME", "STATUS", "REDS"]
    names = _names(r.stdout)
    assert names.count("parked_a") == 5, r.stdout
    assert "parked_b" not in names
    # the same content as the Unix socket's snapshot: the node's own actors
    assert "_ticker_main" in names and "_zap_main" in names
    # --cookie-file, and a second node, Tab's targets
    cookie = tmp_path / "cookie"
    cookie.write_text(COOKIE + "\n")
    r = top("--node", b, "--cookie-file", str(cookie), "--once",
            "--interval", "0.1", cookie=None)
    assert r.returncode == 0, r.stderr
    assert "node b " in r.stdout
    assert _names(r.stdout).count("parked_b") == 6, r.stdout
    # --cookie on the command line, sorted by pid: newest first
    r = top("--node", cluster["c"][0], "--cookie", COOKIE, "--sort", "pid",
            "--once", "--interval", "0.1", cookie=None)
    assert r.returncode == 0, r.stderr
    assert "cluster: a  b  [c]" in r.stdout
    # the observer never became a member: every node still sees the
    # other two, and only them
    time.sleep(0.5)
    for tag, (_, seen) in cluster.items():
        assert sorted(_members(seen)) == sorted(set("abc") - {tag})


def test_top_wrong_cookie_fails_with_a_clear_error(cluster):
    r = top("--node", cluster["a"][0], "--once", "--timeout", "30",
            cookie="not-the-cookie", timeout=25)
    assert r.returncode != 0
    assert "refused the handshake: wrong cookie" in r.stderr, r.stderr
    assert r.stdout == ""


def test_top_no_cookie_and_no_node():
    r = top("--node", "tcp://127.0.0.1:1", "--once", cookie=None)
    assert r.returncode == 2 and "no cluster cookie" in r.stderr, r.stderr
    port = free_port()                    # nothing listens there
    r = top("--node", "tcp://127.0.0.1:%d" % port, "--once", "--timeout",
            "1")
    assert r.returncode == 1
    assert "no node answers there" in r.stderr, r.stderr
    r = top("--once", cookie=None)
    assert r.returncode == 2 and "--node" in r.stderr


def test_next_node_wraps_by_name():
    from actors._top import next_node
    ms = [{"name": n} for n in ("a", "b", "c")]
    assert next_node(ms, "a")["name"] == "b"
    assert next_node(ms, "c")["name"] == "a"
    assert next_node([{"name": "a"}], "a") is None
    assert next_node(None, "a") is None


def test_a_bad_request_costs_only_itself(cluster):
    # garbage in an observer frame gets an error answer; the node goes on
    from actors._observe_net import NodeTarget, REQUEST
    from actors._security import Security
    t = NodeTarget(cluster["a"][0], Security("cookie", COOKIE), timeout=10)
    try:
        with pytest.raises(RuntimeError, match="unknown op"):
            t.request({"op": "nothing"})
        t.sock.send(REQUEST + b"{not json")
        with pytest.raises(RuntimeError, match="sort is one of"):
            t.request({"op": "snapshot", "sort": "bogus"})
        ans = t.request({"op": "nodes"})
        assert [m["name"] for m in ans["nodes"]] == ["a", "b", "c"]
        snap = t.request({"op": "snapshot", "rows": 3})
        assert snap["header"]["node"] == "a" and len(snap["rows"]) == 3
        pid = snap["rows"][0]["pid"]
        st = t.request({"op": "stack", "pid": pid})
        assert st["stack"] and st["info"]["status"]
    finally:
        t.close()


def test_top_moves_between_nodes_in_tmux(cluster):
    term = Tmux("top-cluster", ACTORS_COOKIE=COOKIE)
    term.env.pop("ACTORS_COOKIE_FILE", None)
    term.start("cd %s && ACTORS_COOKIE=%s %s -m actors top --node %s "
               "--interval 0.3" % (TESTS_DIR, COOKIE, sys.executable,
                                   cluster["a"][0]))
    try:
        s = term.wait_for("cluster: [a]  b  c")
        term.wait_for("parked_a")
        term.keys("n")
        s = term.wait_for("cluster: a  [b]  c")
        s = term.wait_for("parked_b")
        assert "actors top  node b " in s and "parked_a" not in s, s
        term.keys("Enter")                        # a stack, read on b
        s = term.wait_for("stack of <0.")
        term.keys("x")
        term.wait_for("cluster: a  [b]  c")
        term.keys("n")
        s = term.wait_for("parked_c")
        assert "cluster: a  b  [c]" in s, s
        term.keys("n")                            # wraps around
        s = term.wait_for("parked_a")
        assert "cluster: [a]  b  c" in s, s
        for tag, (_, seen) in cluster.items():
            assert sorted(_members(seen)) == sorted(set("abc") - {tag})
        term.quit()
    finally:
        term.close()


def test_top_with_certificates(tmp_path):
    # --security certs: the observer holds a certificate of its own in the
    # node's directory (a stranger's is refused at the handshake)
    import zmq.auth
    certs = tmp_path / "certs"
    certs.mkdir()
    for name in ("a", "obs"):
        zmq.auth.create_certificates(str(certs), name)
    stranger = tmp_path / "elsewhere"
    stranger.mkdir()
    zmq.auth.create_certificates(str(stranger), "obs")
    zmq.auth.create_certificates(str(stranger), "a")
    (tmp_path / "topapp.py").write_text(APP)
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep +
               os.environ.get("PYTHONPATH", ""))
    addr = "tcp://127.0.0.1:%d" % free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "actors", "node", "--name", "a", "--listen",
         addr, "--quiet", "--security", "certs", "--cert-dir", str(certs),
         "--app", "topapp:main", "--", "a", "3",
         str(tmp_path / "a.nodes")],
        cwd=TESTS_DIR, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        r = top("--node", "a@" + addr, "--security", "certs", "--cert-dir",
                str(certs), "--cert", "obs", "--once", "--interval", "0.1",
                cookie=None)
        assert r.returncode == 0, r.stderr
        assert "cluster: [a]" in r.stdout
        assert _names(r.stdout).count("parked_a") == 3, r.stdout
        r = top("--node", "a@" + addr, "--security", "certs", "--cert-dir",
                str(stranger), "--cert", "obs", "--once", "--timeout", "30",
                cookie=None, timeout=25)
        assert r.returncode != 0
        assert "refused the handshake" in r.stderr, r.stderr
    finally:
        proc.terminate()
        proc.wait(10)
