"""`actors top` over ZeroMQ: look at a cluster node through its own inbox,
authenticated as a member (the cookie, or a certificate), without joining.

The observer connects a DEALER to the node's ROUTER with the cluster's
CURVE keys, so ZAP admits it exactly as it admits a node, and then never
says hello: it is no peer (not in nodes(), sent no batch, no heartbeat, no
gossip).  Its frames are of their own kind, plain JSON both ways (a node
unpickles nothing it did not get from an accepted hello's connection):

  MAGIC b"O" {"id": n, "op": "snapshot", "sort": ..., "rows": ...}
  MAGIC b"O" {"id": n, "op": "stack", "pid": [node, id]}
  MAGIC b"o" {"id": n, ...the answer of _observer.handle...}

The node answers in its scheduler's loop (the same snapshot the Unix
socket of actors.observe() gives, plus "nodes": the members it knows,
with their addresses and keys, so the observer can move to another one)
through the ROUTER: the one frame a node sends there, to a connection
that has just spoken, so it cannot be dropped for want of a route.
"""
from __future__ import annotations

import json
import os
import time

import zmq

from actors import _observer  # now: its uptime counts from the node's start
from actors._transport import MAGIC

REQUEST = MAGIC + b"O"
REPLY = MAGIC + b"o"
_MAX_REQUEST = 4096


# -- the node's side ----------------------------------------------------------

def members(node):
    """[{name, addr, key}] of node and every peer it knows, by name."""
    out = [{"name": node.name, "addr": node.addr, "key": _z85(
        node.sec.public)}]
    for p in node.peers.values():
        out.append({"name": p.name, "addr": p.addr, "key": _z85(p.pub)})
    return sorted(out, key=lambda m: m["name"])


def _z85(key):
    if key is None:
        return None
    return key.decode() if isinstance(key, bytes) else str(key)


def answer(node, ident, frame):
    """Answer one request frame (called by _cluster.Node for a frame of
    this kind from a connection that is no peer)."""
    req = {}
    try:
        if len(frame) > _MAX_REQUEST:
            raise ValueError("request too long")
        req = json.loads(bytes(frame[len(REQUEST):]))
        if type(req) is not dict:
            raise ValueError("a request is a JSON object")
        if req.get("op") == "nodes":
            ans = {}
        else:
            ans = _observer.handle(req)
        ans["nodes"] = members(node)
    except Exception as e:
        ans = {"error": "%s: %s" % (type(e).__name__, e)}
    if type(req.get("id")) is int:
        ans["id"] = req["id"]
    if node.sec.binds_names:              # the inbox prefixed the User-Id
        ident = ident.partition(b"\0")[2]
    try:
        node.inbox.send_multipart([ident, REPLY + json.dumps(ans).encode()],
                                  zmq.NOBLOCK)
    except zmq.ZMQError:
        pass                              # the observer is gone: no matter


# -- the observer's side ------------------------------------------------------

class AttachError(Exception):
    """The node cannot be observed: unreachable, or it refused the keys."""


def _events(names):
    mask = 0
    for name in names:
        mask |= int(getattr(zmq, name, 0))
    return mask


_UP = _events(("EVENT_HANDSHAKE_SUCCEEDED",))
_CONNECTED = _events(("EVENT_CONNECTED",))
_FAILED = _events(("EVENT_HANDSHAKE_FAILED_NO_DETAIL",
                   "EVENT_HANDSHAKE_FAILED_PROTOCOL",
                   "EVENT_HANDSHAKE_FAILED_AUTH"))
_DOWN = _events(("EVENT_DISCONNECTED",))


class NodeTarget:
    """One cluster node observed over ZeroMQ (the Target of _top)."""

    def __init__(self, addr, security, server_key=None, timeout=5.0,
                 name=None):
        self.addr = self.path = addr
        self.name = name
        self.sec = security
        self.timeout = timeout
        self.last = None
        self.up = False
        self.failed = None
        self.connected = False
        self.next_id = 0
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.routing_id = b"actors-top\0%d\0%s" % (
            os.getpid(), os.urandom(6).hex().encode())
        self.sock.reconnect_ivl = 100
        if "[" in addr:
            self.sock.ipv6 = 1
        if security.enabled:
            key = server_key or security.seed_server_key(name)
            if isinstance(key, str):      # as members() sends it (JSON)
                key = key.encode()
            if key is None:
                self.sock.close(0)
                raise AttachError("%s: no server key for this node (certs "
                                  "mode: write NAME@ADDRESS with "
                                  "DIR/NAME.key present)" % addr)
            security.setup_client(self.sock, key)
        self.mon = self.sock.get_monitor_socket(
            _UP | _CONNECTED | _FAILED | _DOWN)
        try:
            self.sock.connect(addr)
        except zmq.ZMQError as e:
            self.close()
            raise AttachError("%s: %s" % (addr, e)) from None

    def close(self):
        try:
            self.sock.disable_monitor()
        except zmq.ZMQError:
            pass
        self.mon.close(0)
        self.sock.close(0)

    def _watch(self):
        """Read the connection events; raise AttachError on a refusal."""
        while True:
            try:
                frames = self.mon.recv_multipart(zmq.NOBLOCK)
            except zmq.ZMQError:
                break
            event = int.from_bytes(frames[0][:2], "little")
            if event & _UP:
                self.up = True
            elif event & _CONNECTED:
                self.connected = True
            elif event & _FAILED:
                self.failed = True
            elif event & _DOWN and self.connected and not self.up:
                self.failed = True        # closed during the handshake
        if self.failed and not self.up:
            raise AttachError(
                "%s: the node refused the handshake: wrong cookie (or "
                "certificate), or a node with another --security" % self.addr)

    def request(self, req):
        self.next_id += 1
        req = dict(req, id=self.next_id)
        self.sock.send(REQUEST + json.dumps(req).encode(), zmq.NOBLOCK)
        deadline = time.monotonic() + self.timeout
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        poller.register(self.mon, zmq.POLLIN)
        while True:
            self._watch()
            left = deadline - time.monotonic()
            if left <= 0:
                if not self.connected:
                    raise AttachError("%s: no node answers there (within "
                                      "%g s)" % (self.addr, self.timeout))
                raise AttachError("%s: no answer within %g s" % (
                    self.addr, self.timeout))
            if not dict(poller.poll(left * 1000)).get(self.sock):
                continue
            frame = self.sock.recv()
            if frame[:3] != REPLY:
                continue
            ans = json.loads(frame[3:])
            if ans.get("id") != self.next_id:
                continue                  # a late answer to an earlier one
            if "error" in ans:
                raise RuntimeError(ans["error"])
            return ans
