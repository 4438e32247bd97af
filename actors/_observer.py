"""actors.observe(): let `actors top` (or any client) look at this process
through a local Unix socket (mode 0600: only this user).  The server runs
in a daemon thread and reads the runtime under the GIL, as the watchdog
does; each request is one JSON line, each answer one JSON line (no pickle:
a client can make it run no code).

  {"op": "snapshot", "sort": "reductions", "rows": 30}
      -> {"header": {...}, "rows": [{pid, name, status, ...}, ...]}
  {"op": "stack", "pid": [node, id]}   -> {"stack": "...", "info": {...}}
"""
import json
import os
import socket
import socketserver
import sys
import tempfile
import threading
import time

from actors._backend import core as _core

SORT_KEYS = ("reductions", "mailbox", "memory", "age", "pid")
# _core._top's columns; memory there is the part that varies between actors
# (saved stack, frame chunk), info() gives each row's whole
_COLUMN = {"pid": 0, "reductions": 1, "mailbox": 2, "age": 3, "memory": 4}
_started = time.time()


def default_path(pid=None):
    """Where observe() listens by default for OS process pid."""
    return os.path.join(tempfile.gettempdir(), "actors-%d.sock"
                        % (os.getpid() if pid is None else pid))


def _rss():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _node():
    from actors import _cluster
    name = _cluster.node_name()
    return name if name is not None else "%s:%d" % (
        socket.gethostname(), os.getpid())


def snapshot(sort="reductions", rows=30):
    """The header and the first rows of the actor table sorted by sort,
    largest first (pid: newest first)."""
    from actors import _observe
    if sort not in SORT_KEYS:
        raise ValueError("sort is one of %s" % ", ".join(SORT_KEYS))
    rows = max(0, min(int(rows), 1000))
    c = _core._counters()
    scheds = _core._schedulers()
    out = []
    for pid in _core._top(_COLUMN[sort], rows):
        i = _observe.info(pid)
        if i is None:
            continue
        out.append({"pid": [pid.node, pid.id], "name": i.name or i.initial,
                    "status": i.status, "reductions": i.reductions,
                    "mailbox": i.mailbox, "memory": i.memory,
                    "age": round(i.age, 3),
                    "current": "%s:%s" % (i.function, i.line)
                    if i.function else ""})
    header = {"node": _node(), "os_pid": os.getpid(),
              "uptime": time.time() - _started, "actors": _core._alive(),
              "run_queue": sum(s["runq"] for s in scheds),
              "memory": _rss(), "sent": c["sent"],
              "received": c["received"], "spawned": c["spawned"],
              "busy": sum(max(0.0, s["uptime"] - s["idle"]) for s in scheds),
              "idle": sum(s["idle"] for s in scheds),
              "schedulers": len(scheds), "time": time.monotonic(),
              "sort": sort}
    return {"header": header, "rows": out}


def _stack_of(pid):
    from actors import _observe
    st = _observe.stack(pid)
    i = _observe.info(pid)
    if st is None or i is None:
        return {"stack": None}
    return {"stack": "".join(st.format()) or "(no frames: %s)" % i.status,
            "info": {"pid": repr(i.pid), "initial": i.initial,
                     "status": i.status, "mailbox": i.mailbox,
                     "reductions": i.reductions, "memory": i.memory,
                     "links": [repr(p) for p in i.links],
                     "monitors": [repr(p) for p in i.monitors],
                     "trap_exits": i.trap_exits, "names": i.names,
                     "groups": [repr(g) for g in i.groups],
                     "supervisor": repr(i.supervisor) if i.supervisor
                     else None, "age": i.age}}


def handle(req):
    op = req.get("op")
    if op == "snapshot":
        return snapshot(req.get("sort", "reductions"), req.get("rows", 30))
    if op == "stack":
        node, ident = req["pid"]
        return _stack_of(_core._pid(int(node), int(ident)))
    raise ValueError("unknown op %r" % (op,))


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                answer = handle(json.loads(line))
            except Exception as e:
                answer = {"error": "%s: %s" % (type(e).__name__, e)}
            self.wfile.write(json.dumps(answer).encode() + b"\n")
            self.wfile.flush()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class Observer:
    """A running observe() server; close() stops it and removes its
    socket."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            _remove_stale(path)
        old = os.umask(0o177)             # the socket is born 0600
        try:
            self.server = _Server(path, _Handler)
        finally:
            os.umask(old)
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True, name="actors-observe")
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _remove_stale(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
    except OSError:
        os.unlink(path)                   # nobody listens: a leftover
        return
    finally:
        s.close()
    raise OSError("%s: another process observes there" % path)


_observers: dict = {}


def observe(path=None):
    """Open a Unix socket through which `actors top` (or a script) can see
    this process's actors: `actors top <os pid>` finds the default path
    ($TMPDIR/actors-<pid>.sock), `actors top PATH` any other.  Returns an
    Observer (close() it, or use it in a with block); a second call for
    the same path returns the running one."""
    if path is None:
        path = default_path()
    if not isinstance(path, str):
        raise TypeError("path is a str")
    o = _observers.get(path)
    if o is None or not o.thread.is_alive():
        o = _observers[path] = Observer(path)
    return o


def request(path, req, timeout=10.0):
    """One request to an observe() socket (for clients and tests)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    answer = json.loads(buf)
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return answer


if sys.platform == "win32":              # pragma: no cover
    def observe(path=None):  # noqa: F811
        raise OSError("actors.observe() needs Unix sockets")
