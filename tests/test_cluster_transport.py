"""Frames between nodes, without sockets: batches split and cut to size,
the records that cannot go reported, bad frames refused."""
import threading

import pytest

pytest.importorskip("zmq")

from actors import _transport as t


def records_of(frames, codec=t.PICKLE):
    out = []
    for f in frames:
        kind, body = t.decode(f, codec)
        assert kind == "B"
        out.extend(body)
    return out


def test_one_frame_for_a_small_batch():
    recs = [(i, "m%d" % i) for i in range(100)]
    frames = t.encode_batch(recs, 1 << 20, None)
    assert len(frames) == 1
    assert records_of(frames) == recs


def test_bad_records_are_reported_and_the_rest_kept_in_order():
    bad = []
    recs = [(1, "a"), (2, threading.Lock()), (3, "c"), (4, b"x" * 5000),
            (5, "e")]
    frames = t.encode_batch(recs, 4096, lambda rec, err: bad.append(rec[0]))
    assert sorted(bad) == [2, 4]
    assert records_of(frames) == [(1, "a"), (3, "c"), (5, "e")]
    assert all(len(f) <= 4096 for f in frames)


def test_big_batches_split_into_bounded_frames():
    n = t.RECORDS_PER_FRAME * 2 + 10
    recs = [(i, i) for i in range(n)]
    frames = t.encode_batch(recs, 1 << 24, None)
    assert len(frames) == 3
    assert records_of(frames) == recs


def test_frames_over_max_size_are_cut_not_lost():
    recs = [(i, "%d" % i + "y" * 100) for i in range(200)]
    frames = t.encode_batch(recs, 2000, None)
    assert len(frames) > 10 and all(len(f) <= 2000 for f in frames)
    assert records_of(frames) == recs


@pytest.mark.parametrize("frame", [
    b"", b"\xa7", b"xyB", t.BATCH + b"garbage", t.MAGIC + b"Z",
    t.HEARTBEAT + b"-1", t.HEARTBEAT + b"9" * 30,
    t.BATCH + __import__("pickle").dumps({"not": "a list"}),
])
def test_bad_frames_raise_badframe(frame):
    with pytest.raises(t.BadFrame):
        t.decode(frame)


def test_the_other_serializer_is_refused_undecoded():
    pytest.importorskip("msgpack")
    with pytest.raises(t.WrongSerializer):
        t.decode(t.MBATCH + b"\x90", t.PICKLE)
    with pytest.raises(t.WrongSerializer):
        t.decode(t.BATCH + b"\x80", t.codec("msgpack"))


def test_msgpack_exceptions_cross_by_name():
    assert type(t.exception_from_pair(("KeyError", "k"))) is KeyError
    import actors
    e = t.exception_from_pair(("ActorDeadError", "gone"))
    assert type(e) is actors.ActorDeadError and str(e) == "gone"
    e = t.exception_from_pair(("MyError", "x"))
    assert isinstance(e, t.RemoteError) and e.type_name == "MyError"


READERS_SNIPPET = r"""
import json, time, zmq
from actors import _core, _transport

def run(make_reader):
    ctx = zmq.Context()
    r = ctx.socket(zmq.ROUTER); r.bind("inproc://inbox")
    d = ctx.socket(zmq.DEALER); d.connect("inproc://inbox")
    read = make_reader(r)
    out = {}
    def burst(limit):
        items, stopped = read(limit)
        return [None if f is None else bytes(f).decode("latin-1")
                for _, f in items], stopped
    out["empty"] = burst(8)
    d.send(b"one"); d.send_multipart([b"a", b"b"]); d.send(b"x" * 100000)
    d.send(b"")
    time.sleep(0.05)
    items, stopped = burst(8)
    out["mixed"] = [None if f is None else len(f) for f in items], stopped
    for i in range(5):
        d.send(b"%d" % i)
    time.sleep(0.05)
    out["limit"] = [burst(3), burst(3), burst(3)]
    d.send(b"z"); time.sleep(0.05)
    out["ident_is_dealers"] = len(read(8)[0][0][0]) > 0
    d.close(0); r.close(0); ctx.term()
    return out

res = {"fast_loaded": _core._zmq_fast(),
       "c": run(lambda s: _transport.inbox_reader(s)),
       "py": run(lambda s: lambda n: _transport.recv_burst(s, n))}
print("RESULT " + json.dumps(res))
"""


def test_inbox_readers_agree():
    """The C reader (libzmq called directly; in a subprocess, as it holds a
    raw socket pointer) and pyzmq's path return the same thing: whole
    messages, None for a malformed one, bounded bursts."""
    import json
    from _subproc import run_in_subprocess, describe
    proc = run_in_subprocess(READERS_SNIPPET, timeout=60)
    assert proc.returncode == 0, describe(proc)
    line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    res = json.loads(line[0][7:])
    assert res["fast_loaded"] is True       # pyzmq's libzmq was found
    for name in ("c", "py"):
        r = res[name]
        assert r["empty"] == [[], False], name
        assert r["mixed"] == [[3, None, 100000, 0], False], name
        assert r["limit"] == [[["0", "1", "2"], True], [["3", "4"], False],
                              [[], False]], name
        assert r["ident_is_dealers"] is True, name
