"""What a peer may make a node do (issue 9, item 16).

A live node (a subprocess) is talked to by this test process through raw
ZeroMQ sockets, as a hostile peer would: remote spawn runs only what the
node allows; nothing a connection sends is decoded before its hello is
accepted; in certs mode an admitted node cannot say another's name (nor
evict it); security="none" off loopback needs an explicit opt-in."""
import os
import pickle
import time

import pytest

zmq = pytest.importorskip("zmq")
import zmq.auth

import actors
from actors import _core, _hello, _security, _transport
from _subproc import describe, run_in_subprocess
from test_cluster_app import NodeProc, config, free_port

ADDR = "tcp://127.0.0.1:%d"


# -- callables a peer asks the node to spawn (the node imports this module
#    on demand when its allow-list names it) ----------------------------------

def listed(report_to):
    """Allowed by NodeConfig(spawnable=["test_cluster_security:listed"])."""
    actors.send(report_to, ("ran", "listed"))


@actors.spawnable
def marked(report_to):
    """Allowed where the module may be imported (spawnable=[module])."""
    actors.send(report_to, ("ran", "marked"))


def unmarked(report_to):
    actors.send(report_to, ("ran", "unmarked"))


class Evil:
    """Unpickling this makes a directory: proof that a frame was decoded."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


# -- a raw peer ---------------------------------------------------------------

class RawPeer:
    """A DEALER to the node, a ROUTER for what the node sends back."""

    def __init__(self, ctx, port, name, ident=None, keys=None,
                 server_key=None):
        self.name = name
        self.inbox = ctx.socket(zmq.ROUTER)
        self.inbox.linger = 0
        if keys is not None:
            self.inbox.curve_publickey, self.inbox.curve_secretkey = keys
            self.inbox.curve_server = True
        self.addr = ADDR % self.inbox.bind_to_random_port("tcp://127.0.0.1")
        self.out = ctx.socket(zmq.DEALER)
        self.out.linger = 0
        self.out.routing_id = ident or name.encode() + b"\0" + b"1"
        if keys is not None:
            self.out.curve_publickey, self.out.curve_secretkey = keys
            self.out.curve_serverkey = server_key
        self.out.connect(ADDR % port)
        self.seq = 0                  # the last batch numbered

    def hello(self, name=None, inc=1, pub=None):
        self.out.send(_hello.encode(name or self.name, inc, self.addr, pub,
                                    "", False, []))

    def batch(self, records):
        self.seq += 1
        self.out.send(_transport.encode_batch(records, 1 << 20, None,
                                              seq=self.seq)[0])

    def records(self, timeout=10.0, until=None):
        """Records of the batches the node sent, until until(rec) holds."""
        got = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # heartbeats: a silent peer is declared down after down_after
            self.out.send(_transport.heartbeat_frame(0, self.seq))
            if not self.inbox.poll(50):
                continue
            _, frame = self.inbox.recv_multipart()
            if frame[:3] == _transport.BATCH:
                batch = _transport.decode(frame)[2]
                got.extend(batch)
                if until is not None and any(until(r) for r in batch):
                    return got
        return got


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(0)


def start_b(tmp_path, **cfg):
    port = free_port()
    stop = str(tmp_path / "stop")
    b = NodeProc("idle", {"name": "b", "lifetime": 60, "stop_file": stop,
                          "config": config("b", port, **cfg)})
    b.port, b.stop_file = port, stop
    b.ready = b.expect("ready", 20)
    return b


def stop_b(b):
    open(b.stop_file, "w").close()
    try:
        return b.expect("stopped", 20)
    finally:
        b.wait(20)


# -- 1. remote spawn ----------------------------------------------------------

def spawn_via(peer, key, fn_ref, tmp_path):
    requester = _core._pid_at(peer.name, 1, 7)
    mod, qual = fn_ref
    peer.batch([("spawn", key, requester, mod, qual,
                 pickle.dumps(((requester,), {})))])
    recs = peer.records(until=lambda r: r[0] == "spawned" and r[1] == key)
    replies = [r for r in recs if r[0] == "spawned" and r[1] == key]
    assert replies, recs
    return replies[0], recs


def test_remote_spawn_runs_only_what_the_node_allows(tmp_path, ctx):
    flag = str(tmp_path / "pwned")
    b = start_b(tmp_path, security="none", cookie=None,
                spawnable=["test_cluster_security:listed",
                           "test_cluster_security"])
    try:
        peer = RawPeer(ctx, b.port, "evil")
        peer.hello()
        # os.system: refused, with an error that says why
        (_, _, _, pid, err), _ = spawn_via(
            peer, 1, ("posix", "system"), tmp_path)
        assert pid is None and "not spawnable here" in err, err
        # what the allow-list and the marks allow runs (its messages come
        # back to the requester, on this raw peer)
        for key, fn in ((2, "listed"), (3, "marked")):
            (_, _, _, pid, err), recs = spawn_via(
                peer, key, ("test_cluster_security", fn), tmp_path)
            assert err is None and pid is not None, err
            more = peer.records(until=lambda r: r[0] == 7 and
                                r[1] == ("ran", fn))
            assert (7, ("ran", fn)) in recs + more
        # the module is allowed, but only its @spawnable callables
        (_, _, _, pid, err), _ = spawn_via(
            peer, 4, ("test_cluster_security", "unmarked"), tmp_path)
        assert pid is None and "not spawnable here" in err, err
        # an importable module nobody allowed is not even imported
        (_, _, _, pid, err), _ = spawn_via(
            peer, 5, ("test_cluster_app", "not_there"), tmp_path)
        assert pid is None and "not spawnable here" in err, err
        peer.batch([("spawn", 6, _core._pid_at("evil", 1, 7), "os",
                     "system", pickle.dumps((("mkdir " + flag,), {})))])
        time.sleep(0.5)
    finally:
        stop_b(b)
    assert not os.path.exists(flag)


def test_spawnable_rejects_what_no_node_can_name():
    with pytest.raises(TypeError):
        actors.spawnable(lambda: None)
    with pytest.raises(TypeError):
        actors.spawnable(42)
    assert "spawnable" in actors.__all__
    from actors import _remote
    with pytest.raises(TypeError):
        _remote.check_allow_list("os")            # a string, not a list
    with pytest.raises(ValueError):
        _remote.check_allow_list(["os system"])
    assert _remote.check_allow_list(["a.b:c.d", "x"]) == {"a.b:c.d", "x"}


def test_spawn_of_an_unallowed_function_fails_at_the_spawner(tmp_path):
    """Through the API: spawn(os.system, node="b") raises ActorError on
    the spawner at once, and nothing runs on b."""
    flag = str(tmp_path / "pwned")
    b = start_b(tmp_path)
    try:
        r = run_in_subprocess("""
            import os, actors
            from actors import _cluster
            cfg = _cluster.NodeConfig(name="a", listen="tcp://127.0.0.1:%d",
                seeds=["tcp://127.0.0.1:%d"], cookie="secret-cookie")
            def main():
                try:
                    actors.spawn(os.system, "mkdir %s", node="b")
                except actors.ActorError as e:
                    print("REFUSED", e)
            actors.run(main, node=cfg)
        """ % (free_port(), b.port, flag), timeout=60)
    finally:
        stop_b(b)
    assert r.returncode == 0, describe(r)
    assert "REFUSED" in r.stdout and "not spawnable here" in r.stdout, \
        describe(r)
    assert not os.path.exists(flag)


# -- 2. security="none" off loopback ------------------------------------------

def test_is_loopback():
    yes = ["tcp://127.0.0.1:1", "tcp://127.8.0.3:*", "tcp://localhost:5",
           "tcp://[::1]:7", "ipc:///tmp/x.sock", "inproc://x"]
    no = ["tcp://0.0.0.0:1", "tcp://*:5", "tcp://10.0.0.1:5", "tcp://[::]:1",
          "tcp://eth0:5", "ws://127.0.0.1:5", "nonsense", "tcp://example:1"]
    for a in yes:
        assert _security.is_loopback(a), a
    for a in no:
        assert not _security.is_loopback(a), a


def test_security_none_off_loopback_needs_insecure():
    r = run_in_subprocess("""
        import actors
        from actors import _cluster
        def main():
            print("STARTED", actors.node_stats()["address"])
        for insecure in (False, True):
            cfg = _cluster.NodeConfig(name="x", listen="tcp://0.0.0.0:*",
                                      security="none", insecure=insecure)
            try:
                actors.run(main, node=cfg)
            except _cluster.NodeStartError as e:
                print("REFUSED", e)
        try:
            actors.run(main, node=_cluster.NodeConfig(
                name="y", listen="tcp://0.0.0.0:*", security="none",
                insecure="yes"))
        except Exception as e:
            print("BAD", type(e).__name__, e)
    """, timeout=60)
    assert r.returncode == 0, describe(r)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("REFUSED") and "insecure=True" in lines[0], \
        describe(r)
    assert lines[1].startswith("STARTED"), describe(r)
    assert lines[2].startswith("BAD") and "insecure" in lines[2], \
        describe(r)


# -- 3. nothing decoded before the hello --------------------------------------

def test_nothing_is_decoded_before_the_hello(tmp_path, ctx):
    flags = [str(tmp_path / ("pwned%d" % i)) for i in range(4)]
    b = start_b(tmp_path, security="none", cookie=None)
    target = b.ready["id"]
    try:
        # a stranger's batch, with or without a hello record in it: dropped
        # undecoded
        s = RawPeer(ctx, b.port, "stranger")
        s.batch([("hello", "stranger", 1, s.addr, None, "", False, []),
                 (target, Evil(flags[0]))])
        s.batch([(target, Evil(flags[1]))])
        # a msgpack batch: not decoded either
        s.out.send(_transport.MBATCH + b"\x91\xc0")
        # a hello frame whose body is a pickle: a bad hello, not unpickled
        s.out.send(_hello.HELLO + pickle.dumps(Evil(flags[2])))
        # a hello naming another node's actors: refused
        s.out.send(_hello.HELLO + __import__("msgpack").packb(
            ("stranger", 1, s.addr, None, "", False,
             [("n", "other", 5, 1)], "pickle")))
        time.sleep(0.5)
        # after an accepted hello the same connection is heard (its batches
        # numbered from 1, as a node numbers them per peer it said hello to)
        s.seq = 0
        s.hello()
        s.batch([(target, "after-hello")])
        time.sleep(0.5)
    finally:
        r = stop_b(b)
    for f in flags:
        assert not os.path.exists(f), f
    assert r["got"] == ["'after-hello'"], r["got"]
    assert r["stats"]["bad_frames_unknown"] >= 5, r["stats"]


def test_a_peer_cannot_signal_as_another_nodes_actor(tmp_path, ctx):
    b = start_b(tmp_path, security="none", cookie=None)
    target = b.ready["id"]
    try:
        s = RawPeer(ctx, b.port, "stranger")
        s.hello()
        forged = _core._pid_at("elsewhere", 5, 1)
        # an exit signal as another node's actor: refused, the target lives
        s.batch([("x", target, forged, "boom")])
        s.batch([(target, "after")])
        time.sleep(0.5)
    finally:
        r = stop_b(b)
    assert r["got"] == ["'after'"], r
    assert r["stats"]["peers"]["stranger"]["bad_frames"] >= 1, r["stats"]


def test_hello_decoding_is_strict():
    from actors._transport import BadFrame
    good = _hello.encode("n", 3, "tcp://h:1", None, "tcp://x:2", "rejoin", [])
    assert _hello.decode(good)[:7] == ("hello", "n", 3, "tcp://h:1", None,
                                       "tcp://x:2", "rejoin")
    assert _hello.decode(good)[-1] == "pickle"
    import msgpack
    bad = [("n", "3", "a", None, "", False, [], "pickle"),
           ("", 3, "a", None, "", False, [], "pickle"),
           ("n", 3, "a", b"short", "", False, [], "pickle"),
           ("n", 3, "a", None, "", "maybe", [], "pickle"),
           ("n", 3, "a", None, "", False, [("x", "n", 3)], "pickle"),
           ("n", 3, "a", None, "", False, [("x", "n", 3, 2 ** 63)], "pickle"),
           ("n", 3, "a", None, "", False, [], None),
           ("n", 3, "a", None, "", False, []),
           ["n", 3, "a", None, "", False, msgpack.ExtType(1, b"x"), "x"]]
    for fields in bad:
        with pytest.raises(BadFrame):
            _hello.decode(_hello.HELLO + msgpack.packb(fields))
    for frame in (b"", _hello.HELLO, _hello.HELLO + b"\xc1",
                  _transport.BATCH + pickle.dumps([])):
        with pytest.raises(BadFrame):
            _hello.decode(frame)


# -- 4. certs: a node's name is its certificate's -----------------------------

@pytest.mark.parametrize("fast", ["1", "0"])
def test_certs_name_is_bound_to_the_key(tmp_path, ctx, fast):
    d = tmp_path / "certs"
    d.mkdir()
    for n in ("a", "b", "m"):
        zmq.auth.create_certificates(str(d), n)
    keys = {n: zmq.auth.load_certificate(str(d / ("%s.key_secret" % n)))
            for n in ("a", "b", "m")}
    pa, pb = free_port(), free_port()
    stop = str(tmp_path / "stop")
    certs = dict(security="certs", cert_dir=str(d), cookie=None)
    env = {"ACTORS_ZMQ_FAST": fast}
    b = NodeProc("idle", {"name": "b", "lifetime": 60, "stop_file": stop,
                          "config": config("b", pb, **certs)}, env=env)
    a = None
    try:
        target = b.expect("ready", 20)["id"]
        a = NodeProc("idle", {"name": "a", "wait_nodes": 1, "hello_to": "b",
                              "hello_inc": 1, "lifetime": 60,
                              "stop_file": stop,
                              "config": dict(config("a", pa, **certs),
                                             seeds=["b@" + ADDR % pb])}, env=env)
        a_inc = a.expect("ready", 20)["inc"]
        time.sleep(0.5)
        # m is admitted (its certificate is in the directory) but says it
        # is a, with a higher incarnation, from its own routing id and
        # from a's: b must neither accept it nor drop the real a
        a_pub = keys["a"][0]
        for ident in (b"m\x001", b"a\x00%d" % a_inc):
            m = RawPeer(ctx, pb, "m", ident=ident, keys=keys["m"],
                        server_key=keys["b"][0])
            for pub in (keys["m"][0], a_pub):
                m.hello(name="a", inc=a_inc + 1, pub=pub)
            m.batch([(target, "forged")])
        time.sleep(0.5)
        # as itself, m is a peer, but its gossip cannot evict a either
        m = RawPeer(ctx, pb, "m", ident=b"m\x002", keys=keys["m"],
                    server_key=keys["b"][0])
        m.hello(name="m", inc=2, pub=keys["m"][0])
        m.batch([("members", [("a", a_inc + 1, m.addr, a_pub),
                              ("a", a_inc + 2, m.addr, keys["m"][0])])])
        m.batch([(target, "from-m")])
        time.sleep(1.0)
        open(stop, "w").close()
        r = b.expect("stopped", 20)
    finally:
        open(stop, "w").close()
        for p in (a, b):
            if p is not None:
                p.wait(20)
    assert "'forged'" not in r["got"], r["got"]
    assert "'from-m'" in r["got"], r["got"]
    assert r["stats"]["peers"]["a"]["incarnation"] == a_inc, r["stats"]
    assert "('hi', 'a', %d)" % a_inc in r["got"], r["got"]
