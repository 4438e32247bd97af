"""Failure detection, the fast half: a peer whose process died.

A node learns that a peer is gone in two ways.  The slow one is silence
(Node.tick): no heartbeat for down_after seconds -- a partition, a
stopped (SIGSTOP) or unreachable machine, where nothing tells us anything.
The fast one is here: when a peer's process dies, its kernel closes its
sockets at once, and libzmq reports the end of our outbox's established
connection (EVENT_DISCONNECTED on the monitor _transport.connection_monitor
attached).  The scheduler watches each outbox's monitor FD, so that event
is read within a loop turn, and the peer is declared down at once, with
'noconnection' on every link and monitor, as Erlang does when a
distribution connection drops.

Only a drop after the handshake succeeded counts: a refused or failed
handshake (the peer not up yet, a wrong key) emits DISCONNECTED too, and
the DEALER keeps retrying those.  A drop seen while either side is saying
bye belongs to the graceful stop, which ends the peer itself.  A silent
peer (SIGSTOP) keeps its TCP connection: its libzmq stops answering ZMTP
pings and drops it after heartbeat_timeout = down_after, the same bound
as the node's own silence check.

A restarted node can never pass for its old incarnation: the old
connection's drop downs the old peer before the new process (new
incarnation, maybe the same address) can say hello, and a drop followed
by a reconnection (both in the monitor's queue when it is read) still
counts as a drop.
"""
from __future__ import annotations

import zmq

from actors._backend import core as _core
from actors import _transport


def watch(node, p):
    """Call on_change(node, p) whenever p's outbox connection changes."""
    if p.mon is None:
        return
    _core._watch_fd(p.mon.getsockopt(zmq.FD),
                    lambda: on_change(node, p))


def unwatch(p):
    """Before p.mon closes (its fd number may be reused at once)."""
    if p.mon is None:
        return
    try:
        _core._watch_fd(p.mon.getsockopt(zmq.FD), None)
    except zmq.ZMQError:
        pass


def on_change(node, p):
    """Read p's connection events; a drop of an established connection
    declares p down.  Returns False (everything read: re-arm the fd)."""
    if p.gone or p.mon is None:
        return False
    for up in _transport.connection_changes(p.mon):
        if up:
            p.connected = True
        elif p.connected:
            p.connected = False
            if not (p.bye_in or p.bye_out or node.stopping):
                node.dropped += 1
                node.peer_down(p, "noconnection")
                return False
    return False
