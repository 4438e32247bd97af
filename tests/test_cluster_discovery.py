"""Discovery (issue 13): seeds from DNS (re-resolved: new nodes join, gone
addresses are dropped), from a file that changes, from the environment
and Slurm's host list; ${VAR} in listen/advertise; the health port.

DNS is answered by a small server this test runs on loopback (dnspython),
handed to the nodes as NodeConfig.dns_server: never the machine's
resolver.  Nodes listen on distinct loopback addresses (127.0.0.x) with
one port, as pods behind a headless service do."""
import os
import shutil
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

zmq = pytest.importorskip("zmq")
dns = pytest.importorskip("dns")
import dns.message  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402

from actors import _discovery  # noqa: E402
from actors._cluster import NodeConfig  # noqa: E402
from test_cluster_app import config, free_port, procs, start  # noqa: E402,F401

NAME = "seeds.actors.test."


class DnsServer:
    """Answers A queries for NAME with self.addresses (NXDOMAIN for any
    other name); counts the queries."""

    def __init__(self):
        self.addresses = []
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                q = dns.message.from_wire(data)
            except Exception:
                continue
            self.queries += 1
            r = dns.message.make_response(q)
            question = q.question[0]
            if str(question.name).lower() != NAME:
                r.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A and self.addresses:
                r.answer.append(dns.rrset.from_text(
                    question.name, 0, "IN", "A", *self.addresses))
            self.sock.sendto(r.to_wire(), peer)

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def dns_server():
    s = DnsServer()
    yield s
    s.close()


def _ip_port(ip, port):
    return "tcp://%s:%d" % (ip, port)


def _wait_state(node, cond, timeout=30):
    while True:
        st = node.expect("state", timeout)
        if cond(st):
            return st


# -- unit: the sources --------------------------------------------------------

def test_slurm_hostlist():
    assert _discovery.hostlist("n[01-03,7],gpu1") == [
        "n01", "n02", "n03", "n7", "gpu1"]
    assert _discovery.hostlist("r[1-2]-n[08-09]") == [
        "r1-n08", "r1-n09", "r2-n08", "r2-n09"]
    assert _discovery.hostlist("solo") == ["solo"]
    assert _discovery.hostlist("") == []


def test_env_file_slurm_sources(tmp_path, monkeypatch):
    f = tmp_path / "seeds"
    f.write_text("# the others\ntcp://10.0.0.1:7000\n\n tcp://10.0.0.2:7000\n")
    monkeypatch.setenv("MY_SEEDS", "tcp://10.0.0.3:7000, file:%s" % f)
    monkeypatch.setenv("SLURM_JOB_NODELIST", "c[1-3]")
    monkeypatch.setenv("SLURMD_NODENAME", "c2")
    assert _discovery.resolve(["env:MY_SEEDS", "slurm:7001",
                               "tcp://10.0.0.1:7000"]) == [
        "tcp://10.0.0.3:7000", "tcp://10.0.0.1:7000", "tcp://10.0.0.2:7000",
        "tcp://c1:7001", "tcp://c3:7001"]
    assert _discovery.is_dynamic(["env:MY_SEEDS"])
    assert not _discovery.is_dynamic(["slurm:7001", "tcp://a:1"])
    monkeypatch.setenv("POD_IP", "10.1.2.3")
    assert _discovery.expand("tcp://${POD_IP}:7000") == "tcp://10.1.2.3:7000"
    with pytest.raises(_discovery.DiscoveryError, match="NOT_SET_HERE"):
        _discovery.expand("tcp://${NOT_SET_HERE}:1")


@pytest.mark.parametrize("kw, match", [
    (dict(seeds=["dns:nameonly"]), "dns:NAME:PORT"),
    (dict(seeds=["slurm:x"]), "slurm:PORT"),
    (dict(seeds=["file:"]), "names no file"),
    (dict(dns_server="127.0.0.1"), "HOST:PORT"),
    (dict(health_port=70000), "TCP port"),
    (dict(discovery_interval=0), "discovery_interval"),
])
def test_bad_discovery_config(kw, match):
    with pytest.raises(ValueError, match=match):
        NodeConfig(name="a", listen="tcp://127.0.0.1:1", **kw)


def test_resolve_dns_with_our_server(dns_server):
    dns_server.addresses = ["127.0.0.2", "127.0.0.3"]
    server = "127.0.0.1:%d" % dns_server.port
    assert _discovery.resolve(["dns:%s:7000" % NAME.rstrip(".")], server) \
        == ["tcp://127.0.0.2:7000", "tcp://127.0.0.3:7000"]
    assert _discovery.resolve(["dns:nobody.actors.test:1"], server) == []
    assert dns_server.queries >= 4


# -- nodes ----------------------------------------------------------------------

def test_dns_seeds_are_resolved_again(procs, tmp_path, dns_server):
    """x finds a through DNS; c appears in DNS later and x says hello to
    it (c had no seeds: it joins through x); a is killed (x looks for it
    again at its address), then leaves DNS: x stops counting it as a seed
    and stops looking for it.  x listens and advertises through
    ${POD_IP}."""
    port = free_port()
    stop = str(tmp_path / "stop")
    a = start(procs, "discovery_app:report", {"stop_file": stop, "config": dict(
        name="a", listen=_ip_port("127.0.0.2", port), cookie="c")})
    a.expect("state")
    dns_server.addresses = ["127.0.0.2"]
    x = start(procs, "discovery_app:report", {"stop_file": stop, "config": dict(
        name="x", listen="tcp://${POD_IP}:%d" % port,
        advertise="tcp://${POD_IP}:%d" % port, cookie="c",
        seeds=["dns:%s:%d" % (NAME, port)], discovery_interval=0.2,
        dns_server="127.0.0.1:%d" % dns_server.port)},
        env={"POD_IP": "127.0.0.5"})
    st = _wait_state(x, lambda s: s["nodes"] == ["a"])
    assert st["address"] == _ip_port("127.0.0.5", port)
    assert st["seeds"] == [_ip_port("127.0.0.2", port)] and st["ready"]
    c = start(procs, "discovery_app:report", {"stop_file": stop, "config": dict(
        name="c", listen=_ip_port("127.0.0.3", port), cookie="c")})
    c.expect("state")
    dns_server.addresses = ["127.0.0.2", "127.0.0.3", "127.0.0.5"]
    _wait_state(x, lambda s: s["nodes"] == ["a", "c"])
    _wait_state(c, lambda s: s["nodes"] == ["a", "x"])
    a.kill()
    _wait_state(x, lambda s: s["nodes"] == ["c"] and
                s["looking_for"] == ["a"])
    dns_server.addresses = ["127.0.0.3", "127.0.0.5"]
    st = _wait_state(x, lambda s: _ip_port("127.0.0.2", port)
                     not in s["seeds"])
    if st["looking_for"]:
        st = _wait_state(x, lambda s: s["looking_for"] == [])
    assert st["nodes"] == ["c"]
    open(stop, "w").close()
    for n in (x, c):
        assert n.wait(30) == 0


def test_file_seeds_and_health_port(procs, tmp_path):
    """A seed file that names nobody yet: the node starts, /live answers,
    /ready says 503; the file is rewritten with a's address: it joins a,
    and /ready turns 200."""
    pa, px, hp = free_port(), free_port(), free_port()
    stop = str(tmp_path / "stop")
    seeds = tmp_path / "seeds"
    seeds.write_text("# nobody yet\ntcp://127.0.0.1:%d\n" % free_port())
    x = start(procs, "discovery_app:report", {"stop_file": stop, "config": config(
        "x", px, seeds=(), join_timeout=None, discovery_interval=0.2,
        health_port=hp) | {"seeds": ["file:%s" % seeds]}})
    x.expect("state", 30)

    def get(path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (hp, path),
                                        timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    assert get("/live")[0] == 200
    assert get("/ready")[0] == 503
    assert get("/nothing")[0] == 404
    a = start(procs, "discovery_app:report", {"stop_file": stop,
                                              "config": config("a", pa)})
    a.expect("state")
    seeds.write_text("tcp://127.0.0.1:%d\n" % pa)
    _wait_state(x, lambda s: s["nodes"] == ["a"])
    deadline = time.monotonic() + 10
    while get("/ready")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert get("/ready") == (200, "ready: 1 peers\n")
    open(stop, "w").close()
    for n in (a, x):
        assert n.wait(30) == 0


UNSHARE = shutil.which("unshare")
MOUNT = shutil.which("mount")


def test_dns_seeds_through_the_system_resolver(procs, tmp_path):
    """No dns_server: getaddrinfo, as under Kubernetes.  The node runs in
    a mount namespace this test makes, where /etc/hosts is a file of
    ours naming two loopback addresses (the machine's resolver and files
    are never touched)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or \
            UNSHARE is None or MOUNT is None:
        pytest.skip("needs root, unshare and mount (a mount namespace)")
    port = free_port()
    stop = str(tmp_path / "stop")
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n"
                     "127.0.0.2 seeds.actors.test\n"
                     "127.0.0.3 seeds.actors.test\n")
    a, c = [start(procs, "discovery_app:report", {
        "stop_file": stop, "config": dict(
            name=name, listen=_ip_port(ip, port), cookie="c")})
        for name, ip in (("a", "127.0.0.2"), ("c", "127.0.0.3"))]
    a.expect("state")
    c.expect("state")
    prefix = [UNSHARE, "--mount", "--propagation", "private", "sh", "-c",
              '%s --bind "$0" /etc/hosts && exec "$@"' % MOUNT, str(hosts)]
    x = start(procs, "discovery_app:report", {"stop_file": stop, "config": dict(
        name="x", listen=_ip_port("127.0.0.5", port), cookie="c",
        seeds=["dns:seeds.actors.test:%d" % port])}, prefix=prefix)
    st = _wait_state(x, lambda s: s["nodes"] == ["a", "c"])
    assert st["seeds"] == [_ip_port("127.0.0.2", port),
                           _ip_port("127.0.0.3", port)]
    open(stop, "w").close()
    for n in (a, x, c):
        assert n.wait(30) == 0, "".join(n.stderr[-20:])
