"""Frames between nodes and the ZeroMQ sockets that carry them.

One ROUTER per node is its inbox; one DEALER per peer its outbox (a ROUTER
silently drops what it sends to a connection it has not got yet, so nothing
is ever sent through the ROUTER).  A frame carries many records, coalesced
by the node per wake-up (DESIGN.md layer 5: 100 messages a frame ~3M msg/s
on loopback, one send per message ~300k).

Frame layout: MAGIC (2 bytes), a kind byte, then the body.
  b"B": a batch: its sequence number (8 bytes, little-endian; see
        below), then the pickle of a list of records, in the order queued:
        (int id, msg)            a message for the local actor id
        ("q", id, asker id, ref id, msg)   an ask() of the local actor id
        ("r", asker id, ref id, value, exc) the answer to one of ours
        ("ac", ref id, [pid, ...]) an ask-cycle probe (askcycle.pxi)
        ("kind", ...)            control records (see _cluster.Node.on_*)
  b"M": the same batch in msgpack (NodeConfig(serializer="msgpack")):
        Pids, Refs, Down, Exit, ask requests and replies are ext types,
        exceptions (type name, str) pairs; arrays decode as tuples.
  b"H": a heartbeat, the body is ASCII "LOAD:SEQ": the sender's actor
        count and the sequence number of the last batch it sent us.
  b"A": an acknowledgement, ASCII "SEQ": every batch we sent up to SEQ
        was delivered there (credits, see _flow).
Sequence numbers count the batches a node sends to one peer incarnation
from 1 (a new _Peer on the sender starts again); 0 marks an unsequenced
batch (a hello from a seed socket).  The receiver expects each number
exactly once, in order: see _cluster.Node.check_seq for what a gap means.
A batch that does not unpickle as a whole (a class only the sender has)
is decoded again record by record (tolerant_loads): the records that
still fail come back as UNDECODABLE records, the others intact.
A node decodes only its own serializer's batches: a peer using the other
one is refused (WrongSerializer), never unpickled.
Anything else is a bad frame: dropped, counted, logged once per peer.
"""
from __future__ import annotations

import errno
import functools
import gc
import os
import pickle
import struct
import types

import zmq

MAGIC = b"\xa7\x01"
BATCH = MAGIC + b"B"
MBATCH = MAGIC + b"M"
HEARTBEAT = MAGIC + b"H"
ACK = MAGIC + b"A"
UNDECODABLE = "?"                 # kind of a record that did not decode
_SEQ = struct.Struct("<Q")
_HEAD = len(BATCH) + _SEQ.size    # magic, kind and sequence number
RECORDS_PER_FRAME = 4096          # split bigger batches (bounded latency)
_PROTO = pickle.HIGHEST_PROTOCOL
_NOBLOCK = int(zmq.NOBLOCK)
_EVENTS = int(zmq.EVENTS)         # ints: pyzmq's enums cost microseconds
_POLLIN = int(zmq.POLLIN)
_send = zmq.backend.Socket.send   # below pyzmq's Python-level wrapper


class BadFrame(Exception):
    """A frame that is not ours (truncated, garbled, oversized...)."""


class WrongSerializer(BadFrame):
    """A batch in the other serializer than this node's."""


class RemoteError(Exception):
    """An exception raised on a msgpack node whose type is not a builtin
    one: type_name and the str() of the original."""

    def __init__(self, type_name, text):
        super().__init__("%s: %s" % (type_name, text))
        self.type_name = type_name
        self.text = text


class PickleCodec:
    name = "pickle"
    kind = b"B"
    header = BATCH
    # staticmethod: from 3.14 a partial is a method descriptor, and
    # codec.dumps(x) would pass the codec as the first argument.
    dumps = staticmethod(functools.partial(pickle.dumps, protocol=_PROTO))
    loads = pickle.loads


# msgpack ext type codes
_EXT_PID, _EXT_REF, _EXT_DOWN, _EXT_EXIT, _EXT_REQ, _EXT_REPLY, _EXT_EXC = \
    range(1, 8)


def exception_pair(e):
    """(type name, str) of an exception: how reasons cross msgpack."""
    return (type(e).__name__, str(e))


def exception_from_pair(pair):
    """An exception to raise from a (type name, str) pair: the builtin or
    actors exception of that name (ActorDeadError, Timeout...), else
    RemoteError."""
    import builtins
    from actors._backend import core as _core
    name, text = pair
    cls = None
    if isinstance(name, str):
        cls = getattr(builtins, name, None) or (
            getattr(_core, name, None) if name in _ACTORS_ERRORS else None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(text)
        except Exception:
            pass
    return RemoteError(name, text)


_ACTORS_ERRORS = frozenset(("ActorError", "ActorDeadError", "NameTakenError",
                            "Timeout"))


class MsgpackCodec:
    """msgpack with the actor types as ext types; only plain data (None,
    bool, int, float, str, bytes, lists/tuples, dicts) besides them."""
    name = "msgpack"
    kind = b"M"
    header = MBATCH

    def __init__(self):
        import msgpack
        from actors._backend import core as _core
        self._msgpack = msgpack
        self._core = _core
        self._Pid = _core.Pid
        self._Ref = _core.Ref
        self._Down = _core.Down
        self._Exit = _core.Exit
        self._Request = _core.Request
        self._Reply = _core._Reply
        self._packer_args = dict(default=self._default, use_bin_type=True,
                                 strict_types=True)

    def dumps(self, obj):
        return self._msgpack.packb(obj, **self._packer_args)

    def loads(self, data):
        return self._msgpack.unpackb(data, ext_hook=self._ext, use_list=False,
                                     strict_map_key=False, raw=False)

    def _ident(self, node):
        ident = self._core._node_ident(node)
        if ident is None:
            raise TypeError("a Pid or Ref of a node outside a cluster")
        return ident

    def _default(self, obj):
        t = type(obj)
        if t is tuple:                # strict_types: tuples come here
            return list(obj)
        Ext = self._msgpack.ExtType
        if t is self._Pid or t is self._Ref:
            name, inc = self._ident(obj.node)
            return Ext(_EXT_PID if t is self._Pid else _EXT_REF,
                       self.dumps((name, inc, obj.id)))
        if t is self._Down:
            return Ext(_EXT_DOWN, self.dumps(tuple(obj)))
        if t is self._Exit:
            return Ext(_EXT_EXIT, self.dumps(tuple(obj)))
        if t is self._Request:
            return Ext(_EXT_REQ, self.dumps((obj.msg, obj._reply_to,
                                             obj._ref)))
        if t is self._Reply:
            ref, value, exc = obj.__reduce__()[1]
            return Ext(_EXT_REPLY, self.dumps(
                (ref, value, None if exc is None else exception_pair(exc))))
        if isinstance(obj, BaseException):
            return Ext(_EXT_EXC, self.dumps(exception_pair(obj)))
        # subclasses of the plain types (IntEnum, namedtuples...): as plain
        for base in (bool, int, float, str, bytes, list, dict):
            if isinstance(obj, base):
                return base(obj)
        if isinstance(obj, tuple):
            return list(obj)
        raise TypeError("msgpack cannot encode %s objects (NodeConfig("
                        "serializer='msgpack') carries plain data, Pids, "
                        "Refs, Down, Exit and exceptions)" % t.__name__)

    def _ext(self, code, data):
        v = self.loads(data)
        core = self._core
        if code == _EXT_PID:
            return core._pid_at(*v)
        if code == _EXT_REF:
            return core._ref_at(*v)
        if code == _EXT_DOWN:
            return self._Down(*v)
        if code == _EXT_EXIT:
            return self._Exit(*v)
        if code == _EXT_REQ:
            return self._Request(*v)
        if code == _EXT_REPLY:
            ref, value, exc = v
            return self._Reply(ref, value, None if exc is None
                               else exception_from_pair(exc))
        if code == _EXT_EXC:
            return tuple(v)
        raise ValueError("unknown ext type %d" % code)


PICKLE = PickleCodec()


def codec(name):
    """The codec of NodeConfig.serializer ('pickle' or 'msgpack')."""
    if name == "pickle":
        return PICKLE
    if name == "msgpack":
        try:
            return MsgpackCodec()
        except ImportError:
            raise ValueError("serializer='msgpack' needs the msgpack "
                             "package (pip install msgpack)") from None
    raise ValueError("serializer is 'pickle' or 'msgpack', not %r" % (name,))


def encode_batch(records, max_size, on_unpicklable, codec=PICKLE, seq=0):
    """Frames (bytes) carrying records in order, each at most max_size
    bytes, numbered seq, seq + 1, ... (all 0 when seq is 0: unsequenced).
    A record that cannot be pickled, or that alone exceeds max_size, is
    passed to on_unpicklable(record, error) and left out: it takes no
    sequence number, so the receiver sees no gap for it."""
    n = len(records)
    pack = _SEQ.pack
    if 0 < n <= RECORDS_PER_FRAME:        # the common case: one frame
        try:
            body = codec.dumps(records)
        except Exception:
            body = None                   # find the culprit below
        if body is not None and len(body) + _HEAD <= max_size:
            return [b"".join((codec.header, pack(seq), body))]
    bodies = []
    start = 0
    while start < n:
        chunk = records[start:start + RECORDS_PER_FRAME]
        start += len(chunk)
        _encode_chunk(chunk, max_size, on_unpicklable, bodies, codec)
    step = 1 if seq else 0
    return [b"".join((codec.header, pack(seq + i * step), body))
            for i, body in enumerate(bodies)]


def _encode_chunk(chunk, max_size, on_bad, bodies, codec):
    try:
        body = codec.dumps(chunk)
    except Exception as e:
        if len(chunk) == 1:
            on_bad(chunk[0], e)
            return
        body = None
        err = e
    if body is not None and len(body) + _HEAD <= max_size:
        bodies.append(body)
        return
    if len(chunk) == 1:
        on_bad(chunk[0], err if body is None else
               ValueError("%d bytes encoded, more than max_msg_size %d"
                          % (len(body), max_size)))
        return
    half = len(chunk) // 2
    _encode_chunk(chunk[:half], max_size, on_bad, bodies, codec)
    _encode_chunk(chunk[half:], max_size, on_bad, bodies, codec)


def heartbeat_frame(load, seq=0):
    """A heartbeat saying the sender's load and the number of the last
    batch it sent to this peer (the receiver checks it has that one: a
    lost last batch shows then, not only when another batch comes)."""
    return HEARTBEAT + b"%d:%d" % (int(load), int(seq))


def ack_frame(seq):
    """An acknowledgement: every batch up to seq was delivered (_flow)."""
    return ACK + b"%d" % int(seq)


def decode(frame, codec=PICKLE):
    """("B", seq, records) or ("H", seq, load); raises BadFrame
    (WrongSerializer for a batch of the other serializer: never
    decoded).  Records that do not decode are UNDECODABLE records (see
    tolerant_loads) when the rest of the batch does."""
    if len(frame) < 3 or frame[:2] != MAGIC:
        raise BadFrame("no magic")
    kind = frame[2:3]
    if kind == b"H":
        load, sep, seq = bytes(frame[3:]).partition(b":")
        if not (sep and load.isdigit() and seq.isdigit()) or \
                len(load) > 18 or len(seq) > 18:
            raise BadFrame("bad heartbeat")
        return "H", int(seq), int(load)
    if kind == b"A":
        seq = bytes(frame[3:])
        if not seq.isdigit() or len(seq) > 18:
            raise BadFrame("bad ack")
        return "A", int(seq), None
    if kind == codec.kind:
        if len(frame) < _HEAD:
            raise BadFrame("truncated batch")
        seq = _SEQ.unpack_from(frame, 3)[0]
        body = frame[_HEAD:]
        try:
            records = codec.loads(body)
        except Exception as e:
            if codec is not PICKLE:
                raise BadFrame("undecodable batch: %s" % (type(e).__name__,))\
                    from None
            records = tolerant_loads(body, e)
        if type(records) is not (list if codec is PICKLE else tuple):
            raise BadFrame("a batch is a list")
        return "B", seq, records
    if kind in (b"B", b"M"):
        raise WrongSerializer("a %s batch (this node uses %s)" % (
            "pickle" if kind == b"B" else "msgpack", codec.name))
    raise BadFrame("unknown kind %r" % (kind,))


# -- one bad record costs only itself ----------------------------------------
#
# A batch is one pickle (one dumps per flush: a pickle per record would cost
# ~0.4 us a record, a third of the node's whole budget per message), so a
# record whose class the receiver lacks fails the whole loads().  Only
# then is the batch read again with an Unpickler that puts a stand-in
# (_Missing) where a global cannot be found, or where a function called to
# rebuild an object raises; each record holding a stand-in anywhere becomes
# (UNDECODABLE, why, kind, a, b, c): kind and the three fields after it
# taken from the record where they decoded (the ids that let an ask be
# answered with an error, an exit or Down be delivered with a stand-in
# reason), else None.
# A batch that fails even so (garbage, a __setstate__ that raises) is a
# BadFrame: its sequence number is then never seen, which the receiver
# turns into node-down rather than a silent gap.

class _Missing:
    """An object the receiver could not rebuild; subclasses name what."""
    what = "?"

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass

    def __reduce__(self):
        raise TypeError("%s could not be decoded" % self.what)


def _stand_in(what):
    return type("_Missing", (_Missing,), {"what": what})


def _guarded(fn, name):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            return _stand_in("%s() raised %s: %s" % (
                name, type(e).__name__, e))()
    return call


class _TolerantUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        where = "%s.%s" % (module, name)
        try:
            obj = super().find_class(module, name)
        except Exception as e:
            return _stand_in("%s (%s: %s)" % (where, type(e).__name__, e))
        if not isinstance(obj, type) and callable(obj):
            return _guarded(obj, where)
        return obj


_OPAQUE = (type, types.ModuleType, types.FunctionType, types.CodeType,
           types.BuiltinFunctionType, types.MethodType)


def _missing_in(obj):
    """The first stand-in reachable from obj (through containers and
    instances' attributes), or None."""
    stack = [obj]
    seen = set()
    while stack:
        o = stack.pop()
        if isinstance(o, _Missing):
            return o.what
        if isinstance(o, type) and issubclass(o, _Missing):
            return o.what
        if isinstance(o, _OPAQUE) or id(o) in seen:
            continue
        seen.add(id(o))
        stack.extend(gc.get_referents(o))
    return None


def _plain(x):
    return x if _missing_in(x) is None else None


def tolerant_loads(body, error):
    """The records of a batch that pickle.loads refused (error), each one
    that cannot be rebuilt here replaced by an UNDECODABLE record."""
    import io
    try:
        records = _TolerantUnpickler(io.BytesIO(body)).load()
    except Exception as e:
        raise BadFrame("undecodable batch: %s (%s)" % (
            type(error).__name__, type(e).__name__)) from None
    if type(records) is not list:
        raise BadFrame("a batch is a list")
    for i, rec in enumerate(records):
        what = _missing_in(rec)
        if what is not None:
            head = list(rec[:4]) if type(rec) is tuple else []
            head += [None] * (4 - len(head))
            records[i] = (UNDECODABLE, what) + tuple(map(_plain, head))
    return records


# -- sockets ------------------------------------------------------------------

def _zmtp_heartbeats(sock, cfg):
    """ZMTP PING/PONG on the connection (libzmq >= 4.2), beside the node's
    own heartbeats: libzmq's I/O thread answers them, so a connection
    stays up while the node's thread is busy or blocked, and libzmq itself
    drops a dead one (the DEALER reconnects; connection_monitor reports
    it).  Only safe with an inbox that never stops reading (bind_inbox)."""
    try:
        sock.heartbeat_ivl = max(10, int(cfg.heartbeat * 1000))
        sock.heartbeat_timeout = max(100, int(cfg.down_after * 1000))
        sock.heartbeat_ttl = max(100, int(cfg.down_after * 1000))
    except (AttributeError, zmq.ZMQError):
        pass                              # an older libzmq: node-level only


def _ipv6(sock):
    """Accept tcp://[::1]:port and dual-stack addresses."""
    try:
        sock.ipv6 = 1
    except (AttributeError, zmq.ZMQError):
        pass


def recv_burst(sock, limit, user_ids=False):
    """pyzmq's path for what _core._zmq_recv_burst does from C: up to limit
    messages from a ROUTER without blocking, as ([(routing id, frame or
    None if not exactly one part after the id)], stopped at the limit).
    The FD is edge-triggered: it ends on an EVENTS reading without POLLIN,
    or EAGAIN, after which the FD signals what comes.  The first receive
    goes without a reading (a wake-up nearly always brings a message; each
    reading builds a pyzmq enum, and a ZMQError costs more still).
    user_ids: prefix each routing id with the frame's ZAP User-Id and a
    NUL byte, as _core._zmq_recv_burst does."""
    items = []
    recv = sock.recv
    for n in range(limit):
        try:
            if n and not sock.get(_EVENTS) & _POLLIN:
                return items, False
            ident = recv(_NOBLOCK)
            frame = recv(_NOBLOCK, copy=False)
            if frame.more:
                while frame.more:
                    frame = recv(_NOBLOCK, copy=False)
                items.append((ident, None))
            else:
                if user_ids:
                    ident = _user_id(frame) + b"\0" + ident
                items.append((ident, frame.buffer))
        except zmq.Again:
            return items, False
        except zmq.ZMQError as e:
            if items:
                return items, True        # the next call reports it
            raise OSError(e.errno, str(e)) from None
    return items, True


def _user_id(frame):
    try:
        return frame.get("User-Id").encode()
    except zmq.ZMQError:
        return b""


_HANDSHAKE_FAILED = ("EVENT_HANDSHAKE_FAILED_NO_DETAIL",
                     "EVENT_HANDSHAKE_FAILED_PROTOCOL",
                     "EVENT_HANDSHAKE_FAILED_AUTH")


def handshake_monitor(sock):
    """A PAIR socket reporting the connections sock's ZMTP handshake
    refused (no CURVE, a wrong key or cookie, garbage, a replayed session:
    libzmq drops them before any frame reaches the node), or None where
    libzmq has no such events (< 4.3)."""
    events = 0
    for name in _HANDSHAKE_FAILED:
        events |= int(getattr(zmq, name, 0))
    if not events:
        return None
    try:
        return sock.get_monitor_socket(events)
    except zmq.ZMQError:
        return None


def refused_handshakes(mon):
    """What the monitor has to report, without blocking: a list of
    reasons ("HANDSHAKE_FAILED_PROTOCOL: ZMTP_CRYPTOGRAPHIC"...)."""
    from zmq.utils.monitor import recv_monitor_message
    out = []
    while True:
        try:
            ev = recv_monitor_message(mon, zmq.NOBLOCK)
        except zmq.Again:
            return out
        except (zmq.ZMQError, ValueError):
            out.append("unreadable monitor event")
            continue
        what = getattr(ev["event"], "name", str(ev["event"]))
        if what.endswith("AUTH"):         # the value is a ZAP status code
            why = "ZAP status %d" % int(ev["value"])
        elif what.endswith("NO_DETAIL"):  # ... an errno
            why = os.strerror(int(ev["value"]))
        else:
            why = getattr(ev["value"], "name", None) or str(ev["value"])
        out.append("%s: %s" % (what, why.replace("PROTOCOL_ERROR_", "")))


def _connection_events():
    up = int(getattr(zmq, "EVENT_HANDSHAKE_SUCCEEDED", 0)) or \
        int(zmq.EVENT_CONNECTED)
    return up, int(zmq.EVENT_DISCONNECTED)


def connection_monitor(sock):
    """A PAIR socket reporting when sock's connection comes up (its
    handshake succeeded) or goes (closed, reset, or dropped by libzmq for
    want of a ZMTP PONG), or None where libzmq cannot monitor."""
    up, down = _connection_events()
    try:
        return sock.get_monitor_socket(up | down)
    except zmq.ZMQError:
        return None


def connection_changes(mon):
    """The connection events mon holds, read without blocking, in order:
    True for up, False for down."""
    up, down = _connection_events()
    out = []
    while True:
        try:
            frames = mon.recv_multipart(zmq.NOBLOCK)
        except zmq.ZMQError:              # Again, or closed meanwhile
            return out
        if len(frames) < 1 or len(frames[0]) < 6:
            continue
        event = int.from_bytes(frames[0][:2], "little")
        if event & up:
            out.append(True)
        elif event & down:
            out.append(False)


def connection_state(mon, state):
    """The connection's state after the events mon holds (read without
    blocking): True up, False down; state if nothing happened since."""
    changes = connection_changes(mon)
    return changes[-1] if changes else state


def close_monitored(sock, mon, linger=0):
    """Close a socket and its connection_monitor."""
    if mon is not None:
        try:
            sock.disable_monitor()
        except zmq.ZMQError:
            pass
        mon.close(0)
    sock.close(linger)


def inbox_reader(sock, user_ids=False):
    """recv_burst(limit) for the node's inbox: libzmq's functions called
    from C when they can be found (ACTORS_ZMQ_FAST=0: pyzmq's path).
    user_ids: routing ids come prefixed with the ZAP User-Id (certs mode:
    the name of the certificate the peer authenticated with)."""
    from actors._backend import core as _core
    if os.environ.get("ACTORS_ZMQ_FAST", "1") != "0" and _core._zmq_fast():
        if user_ids:
            return functools.partial(_core._zmq_recv_burst, sock.underlying,
                                     user_ids=True)
        return functools.partial(_core._zmq_recv_burst, sock.underlying)
    if user_ids:
        return functools.partial(recv_burst, sock, user_ids=True)
    return functools.partial(recv_burst, sock)


def bind_inbox(ctx, address, security, cfg):
    """The node's ROUTER, bound; returns (socket, the address bound)."""
    sock = ctx.socket(zmq.ROUTER)
    sock.linger = 0
    # No receive limit: a full inbox stops libzmq reading the connection,
    # and libzmq 4.3 then aborts (Assertion failed: !_io_error,
    # stream_engine_base.cpp) when the peer dies and a ZMTP heartbeat
    # timer fires, or a PING read before the stop is answered, on that
    # stopped connection.  Flow control is the sender's: a peer whose
    # process stops reading fills the TCP window, then its sender's
    # outbox (SNDHWM), and is declared down.
    sock.rcvhwm = 0
    if "[" in address:                # tcp://[::1]:port
        _ipv6(sock)
    sock.maxmsgsize = cfg.max_msg_size
    sock.router_handover = 1
    _zmtp_heartbeats(sock, cfg)
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


def connect_outbox(ctx, address, ident, security, server_key, cfg,
                   monitored=False):
    """A DEALER to a peer's inbox; messages queue until it connects.
    monitored: returns (socket, its connection_monitor), the monitor
    attached before the connection starts (no event missed)."""
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    _ipv6(sock)
    sock.sndhwm = cfg.sndhwm
    sock.routing_id = ident
    sock.immediate = 0
    sock.reconnect_ivl = 100
    sock.reconnect_ivl_max = 1000
    sock.connect_timeout = 2000       # a SYN into a partition: retry
    _zmtp_heartbeats(sock, cfg)
    security.setup_client(sock, server_key)
    mon = connection_monitor(sock) if monitored else None
    sock.connect(address)
    return (sock, mon) if monitored else sock


def try_send(sock, frame):
    """Send without blocking; False if the outbox is full (EAGAIN)."""
    try:
        _send(sock, frame, _NOBLOCK, len(frame) < 65536)
        return True
    except zmq.Again:
        return False
