"""``actors node``: clusters formed from the command line, ``--workers``,
graceful stops and the one-line startup errors.

Every node is a real subprocess on 127.0.0.1 with a free port; every wait
is bounded, and the ``procs`` fixture stops (SIGTERM, then SIGKILL) every
process a test started, workers included.
"""
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import actors
from _ports import free_port

pytestmark = pytest.mark.skipif(
    not hasattr(actors, "run"), reason="no actor runtime")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(actors.__file__)))
START = 30          # seconds for a node (or cluster) to come up
STOP = 20           # seconds for a graceful stop

APP = '''
import sys, time
import actors
from actors import _cluster

def nodes():
    f = getattr(actors, "nodes", None) or _cluster.nodes
    return list(f())

def here():
    return _cluster.node_name()

def until_seen(expect="3"):
    """Print the cluster once EXPECT nodes (this one included) are seen."""
    want = int(expect)
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        seen = nodes()
        if len(seen) + 1 >= want:
            print("nodes:", " ".join(sorted(seen + [here()])), flush=True)
            return 0
        actors.sleep(0.05)
    print("timeout:", nodes(), flush=True)
    return 7

def watch():
    """Print the cluster whenever it changes, until stopped."""
    last = last_incs = None
    print("app started", flush=True)
    while True:
        now = sorted(nodes() + [here()])
        if now != last:
            print("nodes:", " ".join(now), flush=True)
            last = now
        incs = sorted("%s=%s" % (n, p["incarnation"])
                      for n, p in actors.node_stats()["peers"].items())
        if incs != last_incs:
            print("peers:", " ".join(incs), flush=True)
            last_incs = incs
        actors.sleep(0.05)

def fail():
    raise RuntimeError("the app failed")

@actors.spawnable
def where(to):
    actors.send(to, ("at", here()))

def not_marked(to):
    actors.send(to, ("ran", here()))

def spawn_on_peers(expect="1"):
    """Spawn where() on every peer; then what no node allowed."""
    while len(nodes()) < int(expect):
        actors.sleep(0.05)
    for n in sorted(nodes()):
        actors.spawn(where, actors.self(), node=n)
        print(actors.receive(timeout=10), flush=True)
    try:
        actors.spawn(not_marked, actors.self(), node=sorted(nodes())[0])
        print("not refused", flush=True)
    except actors.ActorError as e:
        print("refused:", e, flush=True)
    return 0
'''


def addr(port):
    return "tcp://127.0.0.1:%d" % port


class Node:
    """One ``actors node`` process, its output read by threads."""

    def __init__(self, args, cwd, env):
        self.args = args
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "actors", "node"] + args, cwd=cwd,
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.out = []
        self.err = []
        self.lines = queue.Queue()
        for stream, sink in ((self.proc.stdout, self.out),
                             (self.proc.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, sink),
                             daemon=True).start()

    def _read(self, stream, sink):
        for line in stream:
            sink.append(line)
            self.lines.put(line)

    def wait_line(self, pattern, timeout=START):
        """The first line (stdout or stderr) matching pattern, from the
        lines not consumed yet."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no line matching %r within %s s\n%s"
                                     % (pattern, timeout, self.describe()))
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    time.sleep(0.2)        # let the readers finish
                    if self.lines.empty():
                        raise AssertionError(
                            "exited before a line matching %r\n%s"
                            % (pattern, self.describe())) from None
                continue
            if rx.search(line):
                return line

    def wait(self, timeout=STOP):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("still running after %s s\n%s"
                                 % (timeout, self.describe())) from None
        time.sleep(0.1)
        return rc

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    @property
    def stdout(self):
        return "".join(self.out)

    @property
    def stderr(self):
        return "".join(self.err)

    def describe(self):
        return "actors node %s\nexit: %r\n--- stdout ---\n%s--- stderr ---\n%s" \
            % (" ".join(self.args), self.proc.poll(), self.stdout[-3000:],
               self.stderr[-5000:])

    def kill_group(self):
        """Stop it and its workers, whatever state they are in."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


def processes_named(node_name):
    """OS pids of processes running ``actors node --name node_name``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        for i, arg in enumerate(argv[:-1]):
            if arg == b"--name" and argv[i + 1] == node_name.encode() and \
                    b"node" in argv:
                found.append(int(entry))
    return found


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


@pytest.fixture
def cluster(tmp_path):
    """start(args...) -> Node, with a cookie file, the app module on the
    path, and every process stopped at the end."""
    (tmp_path / "nodeapp.py").write_text(textwrap.dedent(APP))
    cookie = tmp_path / "cookie"
    cookie.write_text("test-cookie-%d\n" % os.getpid())
    env = dict(os.environ)
    for var in ("ACTORS_COOKIE", "ACTORS_COOKIE_FILE"):
        env.pop(var, None)
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT, str(tmp_path)] + ([env["PYTHONPATH"]] if env.get(
            "PYTHONPATH") else []))
    started = []

    class Cluster:
        path = tmp_path
        cookie_file = str(cookie)

        def start(self, *args, cookie=True, env_extra=None):
            args = list(args)
            if cookie:             # before any `--`: options first
                args = ["--cookie-file", self.cookie_file] + args
            e = dict(env, **(env_extra or {}))
            node = Node(args, str(tmp_path), e)
            started.append(node)
            return node

    yield Cluster()
    for node in started:
        node.kill_group()


def one_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text, text
    return lines[0]


# -- clusters from the command line -------------------------------------------

def test_three_nodes_from_the_cli(cluster):
    pa, pb, pc = free_port(), free_port(), free_port()
    # Started together, each seeded by another: a -> b -> c -> a.
    b = cluster.start("--name", "b", "--listen", addr(pb), "--seed", addr(pc))
    c = cluster.start("--name", "c", "--listen", addr(pc), "--seed", addr(pa))
    a = cluster.start("--name", "a", "--listen", addr(pa), "--seed", addr(pb),
                      "--app", "nodeapp:until_seen", "--", "3")
    assert a.wait(START) == 0, a.describe()
    assert "nodes: a b c\n" in a.stdout, a.describe()
    for n in (b, c):
        n.wait_line(r"up at tcp://127\.0\.0\.1:\d+")
        n.signal(signal.SIGTERM)
    for n in (b, c):
        assert n.wait() == 0, n.describe()
        assert "SIGTERM, stopping" in n.stderr, n.describe()


def test_sigint_stops_a_node_and_its_app(cluster):
    pa, pb = free_port(), free_port()
    b = cluster.start("--name", "b", "--listen", addr(pb))
    a = cluster.start("--name", "a", "--listen", addr(pa), "--seed", addr(pb),
                      "--app", "nodeapp:watch")
    a.wait_line(r"^nodes: a b$")
    b.wait_line(r"up at")
    a.signal(signal.SIGINT)
    assert a.wait() == 0, a.describe()
    assert "SIGINT, stopping" in a.stderr, a.describe()
    # b saw a leave (its bye), and still stops cleanly.
    b.signal(signal.SIGINT)
    assert b.wait() == 0, b.describe()


def test_app_exception_is_exit_status_1(cluster):
    a = cluster.start("--name", "a", "--listen", addr(free_port()),
                      "--app", "nodeapp:fail")
    assert a.wait(START) == 1, a.describe()
    assert "RuntimeError: the app failed" in a.stderr, a.describe()


# -- --workers ----------------------------------------------------------------

def test_workers_2_form_a_cluster(cluster):
    name = "w%d" % os.getpid()
    a = cluster.start("--name", name, "--listen", addr(free_port()),
                      "--workers", "2", "--app", "nodeapp:until_seen",
                      "--", "3")
    assert a.wait(START) == 0, a.describe()
    assert "nodes: %s %s.1 %s.2\n" % (name, name, name) in a.stdout, \
        a.describe()
    # Every worker is stopped with the node.
    wait_until(lambda: not processes_named(name + ".1") and
               not processes_named(name + ".2"), 10, "the workers to end")


def test_a_killed_worker_is_restarted_and_rejoins(cluster):
    name = "r%d" % os.getpid()
    a = cluster.start("--name", name, "--listen", addr(free_port()),
                      "--workers", "1", "--app", "nodeapp:watch")
    peer = r"^peers: %s\.1=(\d+)$" % name
    inc = re.match(peer, a.wait_line(peer)).group(1)
    first = wait_until(lambda: processes_named(name + ".1"), 5, "worker")
    os.kill(first[0], signal.SIGKILL)
    a.wait_line(r"worker %s\.1 ended \(killed by SIGKILL\); restarting"
                % name, 10)
    # Back as a new incarnation (the old one declared down on the way).
    while True:
        m = re.match(peer, a.wait_line(peer, START))
        if m.group(1) != inc:
            break
    again = processes_named(name + ".1")
    assert again and again[0] != first[0]
    a.signal(signal.SIGTERM)
    assert a.wait() == 0, a.describe()
    wait_until(lambda: not processes_named(name + ".1"), 10,
               "the worker to end")


def test_start_workers_in_code(cluster):
    port = free_port()
    script = cluster.path / "inproc.py"
    script.write_text(textwrap.dedent('''
        import sys
        from actors import _core, _cluster
        from actors._nodecli import start_workers
        import nodeapp
        cfg = _cluster.NodeConfig(name="k", listen="tcp://127.0.0.1:%d",
                                  cookie="in-code-cookie")
        with start_workers(cfg, 2) as workers:
            print("workers:", " ".join(workers.names), flush=True)
            rc = _core.run(_cluster.run_node, cfg, nodeapp.until_seen,
                           ("3",), None)
        sys.exit(rc)
    ''' % port))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [ROOT, str(cluster.path)]))
    proc = subprocess.run([sys.executable, str(script)], cwd=str(cluster.path),
                          env=env, capture_output=True, text=True,
                          timeout=START + STOP)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "workers: k.1 k.2\n" in proc.stdout
    assert "nodes: k k.1 k.2\n" in proc.stdout, proc.stdout + proc.stderr
    wait_until(lambda: not processes_named("k.1") and
               not processes_named("k.2"), 10, "the workers to end")


# -- clear startup errors ----------------------------------------------------

def test_missing_cookie(cluster):
    a = cluster.start("--name", "a", "--listen", addr(free_port()),
                      cookie=False)
    assert a.wait(START) == 3, a.describe()
    line = one_line(a.stderr)
    assert line.startswith("actors node: no cluster cookie"), line


def test_unreadable_cookie_file(cluster):
    a = cluster.start("--name", "a", "--listen", addr(free_port()),
                      "--cookie-file", str(cluster.path / "missing"),
                      cookie=False)
    assert a.wait(START) == 3, a.describe()
    line = one_line(a.stderr)
    assert "cannot read the cookie file" in line, line


def test_address_in_use(cluster):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        a = cluster.start("--name", "a", "--listen",
                          addr(holder.getsockname()[1]))
        assert a.wait(START) == 4, a.describe()
    finally:
        holder.close()
    line = one_line(a.stderr)
    assert "already in use" in line, line


def test_unreachable_seed(cluster):
    seed = addr(free_port())          # nobody listens there
    a = cluster.start("--name", "a", "--listen", addr(free_port()),
                      "--seed", seed, "--join-timeout", "1")
    assert a.wait(START) == 5, a.describe()
    line = one_line(a.stderr)
    assert "no seed answered" in line and seed in line, line


def test_wrong_cookie_seed_is_unreachable(cluster, tmp_path):
    pb = free_port()
    b = cluster.start("--name", "b", "--listen", addr(pb))
    b.wait_line(r"up at")
    other = tmp_path / "other-cookie"
    other.write_text("not the cluster's\n")
    a = cluster.start("--name", "a", "--listen", addr(free_port()),
                      "--seed", addr(pb), "--join-timeout", "1",
                      "--cookie-file", str(other), cookie=False)
    assert a.wait(START) == 5, a.describe()
    one_line(a.stderr)


def test_app_that_cannot_be_imported(cluster):
    a = cluster.start("--name", "a", "--listen", addr(free_port()),
                      "--app", "no_such_module:main")
    assert a.wait(START) == 2, a.describe()
    line = one_line(a.stderr)
    assert "cannot import no_such_module" in line, line


def test_certs_mode_without_a_certificate(cluster, tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    a = cluster.start("--name", "z", "--listen", addr(free_port()),
                      "--security", "certs", "--cert-dir", str(certs),
                      cookie=False)
    assert a.wait(START) == 3, a.describe()
    assert "no certificate for node 'z'" in one_line(a.stderr)


def test_worker_that_cannot_start(cluster, tmp_path):
    # certs mode with a certificate for the node but none for its worker:
    # the worker fails at start, is not restarted, and the node stops.
    import zmq.auth
    certs = tmp_path / "certs"
    certs.mkdir()
    zmq.auth.create_certificates(str(certs), "y")
    a = cluster.start("--name", "y", "--listen", addr(free_port()),
                      "--workers", "1", "--security", "certs",
                      "--cert-dir", str(certs), cookie=False)
    assert a.wait(START) == 6, a.describe()
    assert "worker y.1 could not start (exit status 3)" in a.stderr, \
        a.describe()
    assert "no certificate for node 'y.1'" in a.stderr, a.describe()
    wait_until(lambda: not processes_named("y.1"), 10, "the worker to end")


def test_app_spawns_on_its_workers_what_it_marks(cluster):
    """--app's module is spawnable on the workers (which never import it)
    for its @actors.spawnable functions only."""
    name = "s%d" % os.getpid()
    a = cluster.start("--name", name, "--listen", addr(free_port()),
                      "--workers", "1", "--app", "nodeapp:spawn_on_peers",
                      "--", "1")
    assert a.wait(START) == 0, a.describe()
    assert "('at', '%s.1')" % name in a.stdout, a.describe()
    assert "refused:" in a.stdout and "not spawnable here" in a.stdout, \
        a.describe()
    wait_until(lambda: not processes_named(name + ".1"), 10,
               "the worker to end")


def test_security_none_off_loopback_is_refused(cluster):
    a = cluster.start("--name", "x", "--listen", "tcp://0.0.0.0:%d"
                      % free_port(), "--security", "none", cookie=False)
    assert a.wait(START) == 3, a.describe()
    assert "--insecure" in one_line(a.stderr), a.describe()


# -- deployment options (issue 13) --------------------------------------------

def _http(port, path):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                    timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def test_health_port_advertise_and_seeds_from_the_environment(cluster):
    """b finds a through ACTORS_SEEDS (no --seed), advertises through
    ${MY_IP}; both answer /live and /ready on their health ports."""
    pa, pb, ha, hb = free_port(), free_port(), free_port(), free_port()
    a = cluster.start("--name", "a", "--listen", addr(pa),
                      "--health-port", str(ha))
    a.wait_line(r"up at")
    b = cluster.start("--name", "b", "--listen", addr(pb),
                      "--advertise", "tcp://${MY_IP}:%d" % pb,
                      "--health-port", str(hb), "--app", "nodeapp:watch",
                      env_extra={"ACTORS_SEEDS": addr(pa),
                                 "MY_IP": "localhost"})
    b.wait_line(r"^nodes: a b$")
    assert "up at tcp://localhost:%d" % pb in b.stderr, b.describe()
    for port in (ha, hb):
        assert wait_until(lambda: _http(port, "/ready") == 200, START,
                          "ready on %d" % port)
        assert _http(port, "/live") == 200
    for n in (b, a):
        n.signal(signal.SIGTERM)
        assert n.wait() == 0, n.describe()


def test_bad_seed_source_is_a_usage_error(cluster):
    n = cluster.start("--name", "a", "--listen", addr(free_port()),
                      "--seed", "dns:no-port")
    assert n.wait(START) == 2, n.describe()
    assert "dns:NAME:PORT" in one_line(n.stderr)
