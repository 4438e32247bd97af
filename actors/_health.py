"""A node's health port (NodeConfig.health_port, `actors node
--health-port`): plain HTTP for orchestrators' probes.

  GET /live   200 while the node's scheduler runs: an actor of the node
              answers, so a loop stuck in a blocking call or a busy actor
              fails the probe (and the orchestrator restarts the process).
  GET /ready  200 once the node is ready (Node.ready: started and joined
              one of its seeds, or the first of its cluster), 503 before
              that and while it stops.
Anything else is 404.  The body is one line of text.

The listening socket is served by an actor of the node (wait_readable),
one short-lived actor per connection, each given two seconds to send
its request line.
"""
from __future__ import annotations

import socket
import time

import actors

class Health:
    def __init__(self, node, port):
        self.sock = socket.create_server(("", port), family=socket.AF_INET,
                                         reuse_port=False)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.actor = actors.spawn(_accept_main, node, self.sock)

    def close(self):
        if self.actor is not None and self.actor.alive:
            actors.exit(self.actor, "kill")
        self.actor = None
        try:
            self.sock.close()
        except OSError:
            pass


def start(node, port):
    return Health(node, port)


def _accept_main(node, sock):
    fd = sock.fileno()
    while True:
        actors.wait_readable(fd)
        while True:
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                return
            conn.setblocking(False)
            actors.spawn(_serve, node, conn)


def _answer(node, path):
    if path in ("/live", "/livez", "/healthz"):
        return 200, "live"
    if path in ("/ready", "/readyz"):
        if node.ready():
            return 200, "ready: %d peers" % len(node.peers)
        return 503, "not ready: %s" % ("stopping" if node.stopping else
                                       "joining")
    return 404, "unknown path (try /live or /ready)"


def _serve(node, conn):
    data = b""
    deadline = time.monotonic() + 2.0
    try:
        while b"\r\n" not in data and len(data) < 4096:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                chunk = conn.recv(4096)
            except (BlockingIOError, InterruptedError):
                actors.wait_readable(conn.fileno(), timeout=left)
                continue
            if not chunk:
                return
            data += chunk
        parts = data.split(b"\r\n", 1)[0].split()
        if len(parts) < 2 or parts[0] not in (b"GET", b"HEAD"):
            code, text = 400, "bad request"
        else:
            code, text = _answer(node, parts[1].decode("latin-1")
                                 .split("?", 1)[0])
        body = (text + "\n").encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found",
                  503: "Service Unavailable"}[code]
        head = ("HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n"
                % (code, reason, len(body))).encode()
        try:
            conn.send(head + (body if parts[0] != b"HEAD" else b""))
        except OSError:
            pass
    finally:
        conn.close()
