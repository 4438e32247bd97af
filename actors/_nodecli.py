"""``actors node``: run a cluster node from the shell, with worker processes.

::

    actors node --name a --listen tcp://127.0.0.1:7001 \\
                --seed tcp://127.0.0.1:7002 --cookie-file PATH \\
                [--app package.module:main [-- ARG ...]] [--workers N]

The node runs until SIGINT or SIGTERM (a graceful stop: the app's actor is
ended with reason 'shutdown', every peer confirms it has what was sent to
it, then the sockets close) or until the app's main returns.  A second
signal during a stop ends the process at once.

``--workers N`` also starts N scheduler processes on this machine, nodes
named NAME.1 .. NAME.N listening on ``ipc://`` endpoints in a private
temporary directory and joining the cluster through this node.  They are
supervised (a worker that dies is restarted, as a new incarnation, unless
it keeps dying) and stopped with this node.  From code::

    from actors._nodecli import start_workers
    with start_workers(config, 2) as workers:     # NAME.1, NAME.2
        actors._backend.core.run(run_node, config, main, (), None)

Startup errors are one line on stderr and an exit status:

    0  the app's main returned (or an int it returned), or a graceful stop
    1  the app's main raised (its traceback is printed)
    2  bad command line, or the app cannot be imported
    3  no usable cookie / certificate (security)
    4  cannot listen on the address (in use, invalid, no permission)
    5  no seed answered within --join-timeout
    6  another startup failure (including a worker that cannot start)
"""
from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

EXIT_OK = 0
EXIT_APP_FAILED = 1
EXIT_USAGE = 2
EXIT_SECURITY = 3
EXIT_LISTEN = 4
EXIT_SEED = 5
EXIT_START = 6
_STARTUP_CODES = (EXIT_USAGE, EXIT_SECURITY, EXIT_LISTEN, EXIT_SEED,
                  EXIT_START)

_PROG = "actors node"
_SIGNAL = "_nodecli.signal"
_APP_DONE = "_nodecli.app"
_WORKER_FAILED = "_nodecli.worker"


class NodeCliError(Exception):
    """A startup failure with its exit status."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# -- the command line ---------------------------------------------------------

def _parser():
    ap = argparse.ArgumentParser(
        prog=_PROG,
        description="Run a cluster node until SIGINT/SIGTERM or until the "
                    "app's main returns.  Arguments after `--` go to the "
                    "app's main as strings.",
        epilog="exit status: 0 done or stopped, 1 the app raised, 2 usage "
               "or app import, 3 cookie/certificates, 4 cannot listen, "
               "5 no seed answered, 6 other startup failure")
    ap.add_argument("--name", required=True,
                    help="the node's name, unique in the cluster")
    ap.add_argument("--listen", required=True, metavar="ADDRESS",
                    help="ZeroMQ address of the node's inbox, e.g. "
                         "tcp://127.0.0.1:7001")
    ap.add_argument("--seed", action="append", default=[], metavar="ADDRESS",
                    help="a node to join the cluster through (repeatable; "
                         "name@address in --security certs mode); also "
                         "dns:NAME:PORT, file:PATH, env:VAR, slurm:PORT "
                         "(default: env:ACTORS_SEEDS when it is set)")
    ap.add_argument("--advertise", metavar="ADDRESS",
                    help="the address peers connect to, when not the "
                         "listening one; ${VAR} is expanded, e.g. "
                         "'tcp://${POD_IP}:7000'")
    ap.add_argument("--dns-server", metavar="HOST:PORT",
                    help="resolve dns: seeds with this server instead of "
                         "the system resolver (needs dnspython)")
    ap.add_argument("--discovery-interval", type=_seconds, default=5.0,
                    metavar="S",
                    help="seconds between resolutions of dns: and file: "
                         "seeds (default 5)")
    ap.add_argument("--health-port", type=_port, metavar="PORT",
                    help="answer HTTP GET /live and /ready on this port "
                         "(for liveness and readiness probes)")
    add_security_options(ap)
    ap.add_argument("--insecure", action="store_true",
                    help="allow --security none on an address other than "
                         "loopback (anyone who reaches it can run code)")
    ap.add_argument("--spawnable", action="append", default=[],
                    metavar="MODULE[:NAME]",
                    help="what other nodes may spawn here besides the "
                         "@actors.spawnable callables of imported modules: "
                         "MODULE:NAME that callable, MODULE the module's "
                         "@spawnable callables, imported on demand "
                         "(repeatable; --app's module is always allowed)")
    ap.add_argument("--app", metavar="MODULE:FUNCTION",
                    help="run MODULE.FUNCTION(*ARGS) as an actor; the node "
                         "stops when it returns")
    ap.add_argument("--workers", type=_count, default=0, metavar="N",
                    help="also start N worker nodes NAME.1..NAME.N on this "
                         "machine, linked over ipc://")
    ap.add_argument("--heartbeat", type=_seconds, default=0.5, metavar="S",
                    help="seconds between heartbeats (default 0.5)")
    ap.add_argument("--down-after", type=_seconds, default=3.0, metavar="S",
                    help="seconds of silence before a peer is declared down "
                         "(default 3)")
    ap.add_argument("--join-timeout", type=_seconds, default=5.0,
                    metavar="S",
                    help="seconds to wait at start for a seed to answer "
                         "(default 5)")
    ap.add_argument("--stop-timeout", type=_seconds, default=5.0,
                    metavar="S",
                    help="seconds a graceful stop waits for the app and for "
                         "the peers' confirmations (default 5)")
    ap.add_argument("--log-level", default="WARNING",
                    choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                    help="logging level (default WARNING)")
    ap.add_argument("--metrics-port", type=_port, metavar="PORT",
                    help="serve actors.metrics() for Prometheus on "
                         "http://ADDR:PORT/metrics (needs prometheus_client: "
                         "pip install 'actors[metrics]'; 0 picks a port)")
    ap.add_argument("--metrics-addr", default="127.0.0.1", metavar="ADDR",
                    help="address of --metrics-port (default 127.0.0.1)")
    ap.add_argument("--observe", nargs="?", const="", metavar="PATH",
                    help="let `actors top` look at this node through a Unix "
                         "socket (default $TMPDIR/actors-<pid>.sock)")
    ap.add_argument("--quiet", action="store_true",
                    help="no 'up' line on stderr")
    # A worker started by --workers: stop when that process is gone.
    ap.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    ap.add_argument("app_args", nargs="*", metavar="ARG",
                    help=argparse.SUPPRESS)
    return ap


def add_security_options(ap):
    """--cookie-file, --security, --cert-dir: how a node (or `actors top`
    attaching to one) authenticates."""
    ap.add_argument("--cookie-file", metavar="PATH",
                    help="file holding the cluster secret (default: "
                         "ACTORS_COOKIE or ACTORS_COOKIE_FILE)")
    ap.add_argument("--security", choices=("cookie", "certs", "none"),
                    default="cookie",
                    help="cookie (default): CURVE keys from the shared "
                         "cookie; certs: per-node keys in --cert-dir; none: "
                         "plain, trusted networks only")
    ap.add_argument("--cert-dir", metavar="DIR",
                    help="certificate directory for --security certs")


def _port(text):
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be from 0 to 65535")
    return value


def _count(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value


def _seconds(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _say(message):
    print("%s: %s" % (_PROG, message), file=sys.stderr, flush=True)


def load_app(spec):
    """The function named by "package.module:function" (attribute path
    allowed after the colon); NodeCliError(EXIT_USAGE) if it cannot be
    imported."""
    mod_name, sep, qual = spec.partition(":")
    if not sep or not mod_name or not qual:
        raise NodeCliError(EXIT_USAGE, "--app takes MODULE:FUNCTION, e.g. "
                           "mypkg.app:main (got %r)" % spec)
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())     # as `python -m` would
    try:
        obj = importlib.import_module(mod_name)
    except ImportError as e:
        raise NodeCliError(EXIT_USAGE, "--app %s: cannot import %s: %s"
                           % (spec, mod_name, e)) from None
    except Exception as e:
        raise NodeCliError(EXIT_USAGE, "--app %s: importing %s raised %s: "
                           "%s" % (spec, mod_name, type(e).__name__, e)) \
            from None
    for part in qual.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise NodeCliError(EXIT_USAGE, "--app %s: %s has no %r"
                               % (spec, mod_name, qual)) from None
    if not callable(obj):
        raise NodeCliError(EXIT_USAGE, "--app %s is not callable" % spec)
    return obj


def _config_from(opts):
    from actors._cluster import NodeConfig
    seeds = tuple(opts.seed)
    if not seeds and os.environ.get("ACTORS_SEEDS"):
        seeds = ("env:ACTORS_SEEDS",)
    try:
        return _node_config(opts, seeds)
    except (TypeError, ValueError) as e:
        raise NodeCliError(EXIT_USAGE, str(e)) from None


def _node_config(opts, seeds):
    from actors._cluster import NodeConfig
    return NodeConfig(
        name=opts.name, listen=opts.listen, seeds=seeds,
        advertise=opts.advertise, dns_server=opts.dns_server,
        discovery_interval=opts.discovery_interval,
        health_port=opts.health_port,
        cookie_file=opts.cookie_file, security=opts.security,
        cert_dir=opts.cert_dir, heartbeat=opts.heartbeat,
        down_after=opts.down_after, join_timeout=opts.join_timeout,
        stop_timeout=opts.stop_timeout, insecure=opts.insecure,
        spawnable=_spawnable_from(opts))


def _spawnable_from(opts):
    """--spawnable, plus --app's module: its @spawnable callables are what
    the app spawns on the workers, which do not import the app."""
    names = list(opts.spawnable)
    if opts.app:
        names.append(opts.app.partition(":")[0])
    from actors import _remote
    try:
        return tuple(sorted(_remote.check_allow_list(names)))
    except (TypeError, ValueError) as e:
        raise NodeCliError(EXIT_USAGE, "--spawnable: %s" % e) from None


def check_security(config):
    """Fail early, with one line, when the node could not authenticate."""
    from actors import _security
    try:
        _security.check_exposure(config.security, config.listen,
                                 config.insecure)
        _security.Security(config.security, config.cookie,
                           config.cookie_file, config.cert_dir, config.name)
    except _security.SecurityError as e:
        raise NodeCliError(EXIT_SECURITY, str(e)) from None


def classify_start_error(exc):
    """The exit status for an exception that stopped a node starting."""
    text = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return EXIT_LISTEN
    if "in use" in text or "cannot listen" in text:
        return EXIT_LISTEN
    if "seed" in text:
        return EXIT_SEED
    if "cookie" in text or "certificate" in text or "security" in text \
            or "curve" in text:
        return EXIT_SECURITY
    return EXIT_START


def main(argv=None):
    """``actors node ARGS``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    opts = _parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, opts.log_level),
                        format="%(name)s: %(message)s")
    try:
        return _run(opts)
    except NodeCliError as e:
        _say(str(e))
        return e.code


def _run(opts):
    app = load_app(opts.app) if opts.app else None
    if opts.app_args and app is None:
        raise NodeCliError(EXIT_USAGE, "arguments %s given without --app"
                           % " ".join(opts.app_args))
    config = _config_from(opts)
    check_security(config)
    if opts.workers and ("*" in opts.listen or opts.listen.endswith(":0")):
        raise NodeCliError(EXIT_USAGE, "--workers needs a fixed --listen "
                           "address (the workers join through it)")
    metrics = None
    if opts.metrics_port is not None:
        from actors._metrics import serve_metrics
        try:
            metrics = serve_metrics(opts.metrics_port, opts.metrics_addr)
        except (ImportError, OSError) as e:
            raise NodeCliError(EXIT_USAGE, "--metrics-port: %s" % e) from None
        if not opts.quiet:
            _say("metrics on http://%s:%d/metrics" % (
                opts.metrics_addr, metrics.server_address[1]))
    observer = None
    if opts.observe is not None:
        from actors._observer import observe
        try:
            observer = observe(opts.observe or None)
        except OSError as e:
            raise NodeCliError(EXIT_USAGE, "--observe: %s" % e) from None
        if not opts.quiet:
            _say("observe at %s" % observer.path)
    stop = _SignalStop()
    workers = None
    try:
        if opts.workers:
            workers = start_workers(config, opts.workers,
                                    log_level=opts.log_level)
        return run_node_until_stopped(config, app, opts.app_args, stop,
                                      workers, quiet=opts.quiet,
                                      parent_pid=opts.parent_pid)
    finally:
        if workers is not None:
            workers.stop()
        if metrics is not None:
            metrics.shutdown()
        if observer is not None:
            observer.close()
        stop.close()


# -- one node, stopped by a signal or by its app ------------------------------

class _SignalStop:
    """SIGINT/SIGTERM become bytes on a pipe an actor waits on (the
    scheduler may be idle in its selector, where a Python handler would not
    run until something else woke it)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self):
        self.rfd, self.wfd = os.pipe()
        os.set_blocking(self.rfd, False)
        os.set_blocking(self.wfd, False)
        self.old = {s: signal.signal(s, self._handler) for s in self.SIGNALS}
        self.old_wakeup = signal.set_wakeup_fd(self.wfd)
        self.first = None

    def _handler(self, signum, frame):
        # The byte on the wakeup fd does the work; a second signal while the
        # scheduler is stuck (or after it stopped) ends the process here
        # (one sent within 0.5 s is taken for a duplicate: `timeout`, a
        # process group and a service manager may all pass one on).
        now = time.monotonic()
        if self.first is None:
            self.first = now
        elif now - self.first > 0.5:      # not a duplicate of the first
            _say("stopping now (signal %d again)" % signum)
            os._exit(128 + signum)

    def close(self):
        if self.rfd is None:
            return
        signal.set_wakeup_fd(self.old_wakeup)
        for s, h in self.old.items():
            signal.signal(s, h)
        os.close(self.rfd)
        os.close(self.wfd)
        self.rfd = self.wfd = None


def _signal_watcher(rfd, owner):
    import actors
    while True:
        actors.wait_readable(rfd)
        try:
            data = os.read(rfd, 64)
        except BlockingIOError:
            continue
        for signum in data:
            actors.send(owner, (_SIGNAL, signum))


def _parent_watcher(parent_pid, owner):
    """A worker whose parent is gone stops (PDEATHSIG covers Linux; this
    covers the rest, and a parent that died before the prctl)."""
    import actors
    while True:
        if os.getppid() != parent_pid:
            actors.send(owner, (_SIGNAL, int(signal.SIGTERM)))
            return
        actors.sleep(0.5)


def _app_runner(fn, args, owner):
    import actors
    from actors._backend import core as _core
    try:
        result = fn(*args)
    except BaseException as e:
        if isinstance(e, _core._ExitSignal):
            raise                      # stopped by the node: not a failure
        traceback.print_exc()
        actors.send(owner, (_APP_DONE, False, e))
        return
    actors.send(owner, (_APP_DONE, True, result))


def _node_main(config, app, app_args, stop, workers, quiet, parent_pid):
    """The node's main: the app (if any) as an actor, until it ends or a
    signal or a worker's startup failure says stop.  Returns the exit
    status."""
    import actors
    from actors import _cluster
    from actors._backend import core as _core
    me = actors.self()
    node = _cluster._node
    if not quiet:
        _say("node %s up at %s (incarnation %s)%s"
             % (config.name, node.addr if node else config.listen,
                node.inc if node else "?",
                "; workers %s" % ", ".join(workers.names) if workers else ""))
    helpers = [actors.spawn(_signal_watcher, stop.rfd, me)]
    if parent_pid:
        helpers.append(actors.spawn(_parent_watcher, parent_pid, me))
    if workers is not None:
        workers.notify = lambda text: actors.send(me, (_WORKER_FAILED, text))
    app_pid = app_ref = None
    if app is not None:
        app_pid, app_ref = actors.spawn_monitor(_app_runner, app,
                                                tuple(app_args), me)
    outcome = None
    code = EXIT_OK
    try:
        while True:
            msg = actors.receive()
            if type(msg) is tuple and msg and msg[0] == _SIGNAL:
                if not quiet:
                    _say("node %s: %s, stopping" % (
                        config.name, signal.Signals(msg[1]).name))
                break
            if type(msg) is tuple and msg and msg[0] == _WORKER_FAILED:
                _say(msg[1])
                code = EXIT_START
                break
            if type(msg) is tuple and msg and msg[0] == _APP_DONE:
                outcome = msg
            elif type(msg) is _core.Down and msg.ref == app_ref:
                app_pid = None
                if outcome is None:
                    code = EXIT_APP_FAILED if msg.reason != "normal" \
                        else EXIT_OK
                elif not outcome[1]:
                    code = EXIT_APP_FAILED
                elif isinstance(outcome[2], int) and \
                        not isinstance(outcome[2], bool):
                    code = outcome[2]
                break
        if app_pid is not None and app_pid.alive:
            actors.exit(app_pid, "shutdown")
            down = actors.receive(
                lambda m: type(m) is _core.Down and m.ref == app_ref,
                timeout=config.stop_timeout, default=None)
            if down is None:
                actors.exit(app_pid, "kill")
    finally:
        if workers is not None:
            workers.notify = None
        for pid in helpers:
            actors.exit(pid, "kill")
    return code


def run_node_until_stopped(config, app=None, app_args=(), stop=None,
                           workers=None, quiet=False, parent_pid=None):
    """Run a node in this thread until a signal or until app returns; the
    exit status.  Raises NodeCliError for a node that cannot start."""
    from actors import _cluster
    from actors._backend import core as _core
    quiet_start = _StartErrorFilter(_cluster.NodeStartError)
    logging.getLogger("actors").addFilter(quiet_start)
    own_stop = stop is None
    if own_stop:
        stop = _SignalStop()
    try:
        return _core.run(_cluster.run_node, config, _node_main,
                         (config, app, app_args, stop, workers, quiet,
                          parent_pid), None)
    except _cluster.NodeStartError as e:
        raise NodeCliError(classify_start_error(e), str(e)) from None
    except OSError as e:
        if e.errno == errno.EADDRINUSE or "listen" in str(e):
            raise NodeCliError(EXIT_LISTEN, str(e)) from None
        raise
    finally:
        logging.getLogger("actors").removeFilter(quiet_start)
        if own_stop:
            stop.close()


class _StartErrorFilter(logging.Filter):
    """The core logs the root actor's crash with its traceback; a node
    that cannot start is reported in one line instead."""

    def __init__(self, exc_type):
        super().__init__()
        self.exc_type = exc_type

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, self.exc_type)


# -- worker processes ---------------------------------------------------------

def _pdeathsig():
    """In the child, before exec: SIGTERM when the parent dies (Linux)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)       # PR_SET_PDEATHSIG
    except Exception:
        pass


class Workers:
    """N worker nodes NAME.1..NAME.N on this machine, each a process
    running ``actors node`` on an ipc:// endpoint in a private temporary
    directory and joining the cluster through the parent's node (and its
    seeds).  A worker that dies is restarted (a new incarnation); one that
    dies MAX_RESTARTS times within RESTART_WINDOW seconds, or fails at its
    first start, is given up (notify(text) is called).  stop() ends them
    all: SIGTERM, then SIGKILL after a timeout."""

    MAX_RESTARTS = 5
    RESTART_WINDOW = 30.0

    def __init__(self, config, n, log_level="WARNING", python=None,
                 env=None):
        if n < 1:
            raise ValueError("at least one worker")
        self.config = config
        self.n = n
        self.dir = tempfile.mkdtemp(prefix="actors-%s-" % config.name)
        os.chmod(self.dir, 0o700)
        self.names = ["%s.%d" % (config.name, i + 1) for i in range(n)]
        self.addresses = ["ipc://%s/%s.sock" % (self.dir, name)
                          for name in self.names]
        self.log_level = log_level
        self.python = python or sys.executable
        self.env = env
        self.procs = [None] * n
        self.started = [False] * n      # has it ever stayed up?
        self.deaths = [[] for _ in range(n)]
        self.restarts = [0] * n
        self.spawned_at = [0.0] * n
        self.given_up = set()
        self.notify = None
        self.stopping = False
        self.lock = threading.Lock()
        self.thread = None

    # ``with start_workers(...) as w:``
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _command(self, i):
        c = self.config
        parent = c.advertise or c.listen
        cmd = [self.python, "-m", "actors", "node", "--name", self.names[i],
               "--listen", self.addresses[i], "--seed", parent,
               "--security", c.security, "--heartbeat", repr(c.heartbeat),
               "--down-after", repr(c.down_after),
               "--join-timeout", repr(max(c.join_timeout or 0, 15.0)),
               "--stop-timeout", repr(c.stop_timeout),
               "--log-level", self.log_level, "--quiet",
               "--parent-pid", str(os.getpid())]
        for seed in c.seeds:
            cmd += ["--seed", seed]
        for name in c.spawnable:
            cmd += ["--spawnable", name]
        if c.insecure:
            cmd += ["--insecure"]
        if c.cookie_file:
            cmd += ["--cookie-file", c.cookie_file]
        if c.cert_dir:
            cmd += ["--cert-dir", c.cert_dir]
        return cmd

    def _environ(self):
        env = dict(os.environ if self.env is None else self.env)
        c = self.config
        if c.cookie is not None:          # never on a command line
            cookie = c.cookie
            env["ACTORS_COOKIE"] = cookie.decode() if isinstance(
                cookie, bytes) else str(cookie)
        # The workers import what the parent imports: actors itself, and
        # the app's modules (for spawn(node=...)), found the same way.
        import actors
        root = os.path.dirname(os.path.dirname(os.path.abspath(
            actors.__file__)))
        paths = [root, os.getcwd()] + [p for p in sys.path if p and
                                      os.path.isdir(p)]
        old = env.get("PYTHONPATH")
        if old:
            paths.append(old)
        seen = []
        for p in paths:
            if p not in seen:
                seen.append(p)
        env["PYTHONPATH"] = os.pathsep.join(seen)
        return env

    def _spawn(self, i):
        self.procs[i] = subprocess.Popen(
            self._command(i), env=self._environ(), stdin=subprocess.DEVNULL,
            preexec_fn=_pdeathsig if sys.platform.startswith("linux")
            else None)
        self.spawned_at[i] = time.monotonic()

    def start(self):
        with self.lock:
            for i in range(self.n):
                self._spawn(i)
        self.thread = threading.Thread(target=self._supervise,
                                       name="actors-workers", daemon=True)
        self.thread.start()
        return self

    def pids(self):
        """OS process ids of the workers now running."""
        with self.lock:
            return [p.pid if p is not None and p.poll() is None else None
                    for p in self.procs]

    def _supervise(self):
        while not self.stopping:
            time.sleep(0.1)
            with self.lock:
                if self.stopping:
                    return
                for i, proc in enumerate(self.procs):
                    if proc is None or i in self.given_up:
                        continue
                    rc = proc.poll()
                    if rc is None:
                        if time.monotonic() - self.spawned_at[i] > \
                                (self.config.join_timeout or 0) + 1.0:
                            self.started[i] = True
                        continue
                    self._died(i, rc)

    def _died(self, i, rc):
        name = self.names[i]
        now = time.monotonic()
        deaths = [t for t in self.deaths[i] if now - t < self.RESTART_WINDOW]
        deaths.append(now)
        self.deaths[i] = deaths
        why = ("killed by %s" % _signame(-rc)) if rc < 0 else \
            ("exit status %d" % rc)
        if (not self.started[i] and rc in _STARTUP_CODES) or \
                len(deaths) > self.MAX_RESTARTS:
            self.given_up.add(i)
            self.procs[i] = None
            text = ("worker %s could not start (%s)" % (name, why)
                    if not self.started[i] else
                    "worker %s died %d times in %d s (%s); given up"
                    % (name, len(deaths), self.RESTART_WINDOW, why))
            notify = self.notify
            if notify is not None:
                notify(text)
            else:
                _say(text)
            return
        logging.getLogger("actors.node").warning(
            "worker %s ended (%s); restarting it", name, why)
        self.restarts[i] += 1
        self._spawn(i)

    def stop(self, timeout=None):
        """SIGTERM every worker (a graceful stop), SIGKILL what is left
        after timeout seconds (default: the config's stop_timeout + 5)."""
        if timeout is None:
            timeout = (self.config.stop_timeout or 5.0) + 5.0
        with self.lock:
            if self.stopping and all(p is None for p in self.procs):
                return
            self.stopping = True
            procs = [p for p in self.procs if p is not None]
            for p in procs:
                if p.poll() is None:
                    try:
                        p.send_signal(signal.SIGTERM)
                    except OSError:
                        pass
        deadline = time.monotonic() + timeout
        for p in procs:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.thread is not None and \
                self.thread is not threading.current_thread():
            self.thread.join(2.0)
        with self.lock:
            self.procs = [None] * self.n
        shutil.rmtree(self.dir, ignore_errors=True)


def _signame(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return "signal %d" % n


def start_workers(config, n, **kwargs):
    """Start N worker nodes for the node that config describes (which must
    be, or soon be, listening on config.listen): a running Workers; stop()
    it, or use it as a context manager."""
    return Workers(config, n, **kwargs).start()


if __name__ == "__main__":
    sys.exit(main())
