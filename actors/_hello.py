"""The hello: the one frame a node reads from a connection it does not know.

Until a connection's hello is accepted nothing else it sends is decoded:
batches are pickles (or msgpack with actor types), and unpickling what a
stranger sends runs its code.  So the hello is a frame of its own kind
(MAGIC + b"J"), plain msgpack of strings, integers and bytes only (no ext
types, no objects), checked field by field:

    (name, incarnation, address, public key or None, to_addr, reply,
     [(registered name, node name, incarnation, pid id)...], serializer)

(the names a node announces are its own actors': the node name and
incarnation of each must be the hello's own)
reply is True, False or "rejoin" (see _cluster.Node.on_hello); serializer
is the sender's NodeConfig.serializer (a node refuses a peer with another:
neither could decode the other's batches).  decode()
returns the tuple _cluster.Node.on_hello takes, with Pids made from the
triples, or raises BadFrame.
"""
from __future__ import annotations

import msgpack

from actors._transport import MAGIC, BadFrame

HELLO = MAGIC + b"J"
REFUSED = MAGIC + b"N"            # a hello refused: msgpack of one str
_MAX_NAME = 255
_MAX_ADDR = 1024


def encode(name, inc, addr, pub, to_addr, reply, names, serializer="pickle"):
    """The hello frame.  names: [(registered name, Pid)] of local actors;
    node_ident(pid) gives (node name, incarnation) of a Pid."""
    from actors._backend import core as _core
    triples = []
    for n, pid in names:
        ident = _core._node_ident(pid.node)
        if ident is not None:
            triples.append((n, ident[0], ident[1], pid.id))
    return HELLO + msgpack.packb(
        (name, inc, addr, pub, to_addr, reply, triples, serializer),
        use_bin_type=True)


def _str(v, limit, what):
    if type(v) is not str or len(v) > limit:
        raise BadFrame("bad hello: %s" % what)
    return v


def _int(v, what):
    if type(v) is not int:
        raise BadFrame("bad hello: %s" % what)
    return v


def decode(frame):
    """("hello", name, inc, addr, pub, to_addr, reply, [(name, Pid)],
    serializer) from a hello frame; BadFrame when it is anything else."""
    from actors._backend import core as _core
    if bytes(frame[:3]) != HELLO:
        raise BadFrame("not a hello")
    try:
        v = msgpack.unpackb(frame[3:], raw=False, use_list=False,
                            strict_map_key=True, max_ext_len=0)
    except Exception as e:
        raise BadFrame("bad hello: %s" % type(e).__name__) from None
    if type(v) is not tuple or len(v) != 8:
        raise BadFrame("bad hello: not 8 fields")
    name, inc, addr, pub, to_addr, reply, triples, serializer = v
    _str(serializer, 16, "serializer")
    _str(name, _MAX_NAME, "name")
    if not name:
        raise BadFrame("bad hello: empty name")
    _int(inc, "incarnation")
    _str(addr, _MAX_ADDR, "address")
    _str(to_addr, _MAX_ADDR, "to_addr")
    if pub is not None and (type(pub) is not bytes or len(pub) != 40):
        raise BadFrame("bad hello: public key")
    if reply not in (True, False, "rejoin") or type(reply) not in (bool, str):
        raise BadFrame("bad hello: reply")
    if type(triples) is not tuple:
        raise BadFrame("bad hello: names")
    names = []
    for t in triples:
        if type(t) is not tuple or len(t) != 4:
            raise BadFrame("bad hello: names")
        n = _str(t[0], _MAX_ADDR, "registered name")
        # a node announces names of its own actors only
        if t[1] != name or t[2] != inc:
            raise BadFrame("bad hello: a name of another node's actor")
        try:
            pid = _core._pid_at(name, inc, _int(t[3], "pid"))
        except (OverflowError, ValueError):
            raise BadFrame("bad hello: pid") from None
        names.append((n, pid))
    return ("hello", name, inc, addr, pub, to_addr, reply, names, serializer)


def encode_refusal(why):
    """The answer to a hello whose node may not join (its name is taken):
    plain text, so that a node decodes it from a connection it does not
    know yet (its start fails with it)."""
    return REFUSED + msgpack.packb(str(why)[:1000], use_bin_type=True)


def decode_refusal(frame):
    if bytes(frame[:3]) != REFUSED:
        raise BadFrame("not a refusal")
    try:
        v = msgpack.unpackb(frame[3:], raw=False, max_ext_len=0)
    except Exception as e:
        raise BadFrame("bad refusal: %s" % type(e).__name__) from None
    return _str(v, 1000, "refusal")
