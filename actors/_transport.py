"""Frames between nodes and the ZeroMQ sockets that carry them.

One ROUTER per node is its inbox; one DEALER per peer its outbox (a ROUTER
silently drops what it sends to a connection it has not got yet, so nothing
is ever sent through the ROUTER).  A frame carries many records, coalesced
by the node per wake-up (DESIGN.md layer 5: 100 messages a frame ~3M msg/s
on loopback, one send per message ~300k).

Frame layout: MAGIC (2 bytes), a kind byte, then the body.
  b"B": a batch, the pickle of a list of records, in the order queued:
        (int id, msg)            a message for the local actor id
        ("kind", ...)            control records (see _cluster.Node.on_*)
  b"H": a heartbeat, the body is the sender's actor count as ASCII digits.
Anything else is a bad frame: dropped, counted, logged once per peer.
"""
from __future__ import annotations

import errno
import pickle

import zmq

MAGIC = b"\xa7\x01"
BATCH = MAGIC + b"B"
HEARTBEAT = MAGIC + b"H"
RECORDS_PER_FRAME = 4096          # split bigger batches (bounded latency)
_PROTO = pickle.HIGHEST_PROTOCOL


class BadFrame(Exception):
    """A frame that is not ours (truncated, garbled, oversized...)."""


def encode_batch(records, max_size, on_unpicklable):
    """Frames (bytes) carrying records in order, each at most max_size
    bytes.  A record that cannot be pickled, or that alone exceeds
    max_size, is passed to on_unpicklable(record, error) and left out."""
    frames = []
    start = 0
    n = len(records)
    while start < n:
        chunk = records[start:start + RECORDS_PER_FRAME]
        start += len(chunk)
        _encode_chunk(chunk, max_size, on_unpicklable, frames)
    return frames


def _encode_chunk(chunk, max_size, on_bad, frames):
    try:
        body = pickle.dumps(chunk, _PROTO)
    except Exception as e:
        if len(chunk) == 1:
            on_bad(chunk[0], e)
            return
        body = None
        err = e
    if body is not None and len(body) + len(BATCH) <= max_size:
        frames.append(BATCH + body)
        return
    if len(chunk) == 1:
        on_bad(chunk[0], err if body is None else
               ValueError("%d bytes pickled, more than max_msg_size %d"
                          % (len(body), max_size)))
        return
    half = len(chunk) // 2
    _encode_chunk(chunk[:half], max_size, on_bad, frames)
    _encode_chunk(chunk[half:], max_size, on_bad, frames)


def heartbeat_frame(load):
    return HEARTBEAT + str(int(load)).encode()


def decode(frame):
    """("B", records) or ("H", load); raises BadFrame."""
    if len(frame) < 3 or frame[:2] != MAGIC:
        raise BadFrame("no magic")
    kind = frame[2:3]
    if kind == b"H":
        body = bytes(frame[3:])
        if not body.isdigit() or len(body) > 18:
            raise BadFrame("bad heartbeat")
        return "H", int(body)
    if kind == b"B":
        try:
            records = pickle.loads(frame[3:])
        except Exception as e:
            raise BadFrame("undecodable batch: %s" % (type(e).__name__,)) \
                from None
        if type(records) is not list:
            raise BadFrame("a batch is a list")
        return "B", records
    raise BadFrame("unknown kind %r" % (kind,))


# -- sockets ------------------------------------------------------------------

def bind_inbox(ctx, address, security, cfg):
    """The node's ROUTER, bound; returns (socket, the address bound)."""
    sock = ctx.socket(zmq.ROUTER)
    sock.linger = 0
    sock.rcvhwm = cfg.rcvhwm
    sock.maxmsgsize = cfg.max_msg_size
    sock.router_handover = 1
    security.setup_server(sock)
    try:
        sock.bind(address)
    except zmq.ZMQError as e:
        sock.close(0)
        if e.errno == errno.EADDRINUSE:
            raise OSError(errno.EADDRINUSE, "cannot listen on %s: the address "
                          "is already in use (another node?)" % address) \
                from None
        raise OSError(e.errno, "cannot listen on %s: %s" % (address, e)) \
            from None
    return sock, sock.getsockopt_string(zmq.LAST_ENDPOINT)


def connect_outbox(ctx, address, ident, security, server_key, cfg):
    """A DEALER to a peer's inbox; messages queue until it connects."""
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    sock.sndhwm = cfg.sndhwm
    sock.routing_id = ident
    sock.immediate = 0
    sock.reconnect_ivl = 100
    sock.reconnect_ivl_max = 1000
    security.setup_client(sock, server_key)
    sock.connect(address)
    return sock


def try_send(sock, frame):
    """Send without blocking; False if the outbox is full (EAGAIN)."""
    try:
        sock.send(frame, zmq.NOBLOCK, copy=len(frame) < 65536)
        return True
    except zmq.Again:
        return False
