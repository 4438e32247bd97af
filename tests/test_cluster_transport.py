"""Frames between nodes, without sockets: batches split and cut to size,
the records that cannot go reported, bad frames refused."""
import threading

import pytest

pytest.importorskip("zmq")

from actors import _transport as t


def records_of(frames, codec=t.PICKLE):
    out = []
    for f in frames:
        kind, seq, body = t.decode(f, codec)
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
    t.HEARTBEAT + b"-1", t.HEARTBEAT + b"9" * 30, t.HEARTBEAT + b"5",
    t.HEARTBEAT + b"5:", t.HEARTBEAT + b"1:" + b"9" * 30,
    t.BATCH + bytes(8) + __import__("pickle").dumps({"not": "a list"}),
    t.BATCH + bytes(5),
])
def test_bad_frames_raise_badframe(frame):
    with pytest.raises(t.BadFrame):
        t.decode(frame)


def test_batches_are_numbered_and_heartbeats_say_the_last():
    recs = [(i, "m%d" % i) for i in range(t.RECORDS_PER_FRAME * 2 + 1)]
    frames = t.encode_batch(recs, 1 << 24, None, seq=7)
    assert [t.decode(f)[1] for f in frames] == [7, 8, 9]
    assert records_of(frames) == recs
    assert [t.decode(f)[1] for f in t.encode_batch(recs, 1 << 24, None)] \
        == [0, 0, 0]                      # unsequenced: a seed's hello
    assert t.decode(t.heartbeat_frame(12, 9)) == ("H", 9, 12)


def test_a_record_left_out_takes_no_number():
    frames = t.encode_batch([(1, threading.Lock())], 1 << 20,
                            lambda rec, err: None, seq=3)
    assert frames == []


ONLY_SENDER = '''
import sys, types
mod = types.ModuleType("only_on_the_sender")
exec("class Thing:\\n    def __init__(self, x):\\n        self.x = x\\n",
     mod.__dict__)
sys.modules[mod.__name__] = mod
'''


def test_a_record_that_does_not_decode_costs_only_itself():
    """A class only the sender has, anywhere in a record: that record
    comes back as an UNDECODABLE record (with the ids an answer needs),
    every other record intact and in order."""
    import sys
    ns = {}
    exec(ONLY_SENDER, ns)
    Thing = ns["mod"].Thing
    recs = [(1, "a"), (2, Thing(1)), ("q", 5, 6, 7, [{"k": Thing(2)}]),
            (3, "c"), ("r", 8, 9, (Thing,), None), (4, frozenset([1])),
            ("x", 10, "sender", ValueError(Thing(3)))]
    recs += [(5, i) for i in range(1000)]
    frame, = t.encode_batch(recs, 1 << 24, None, seq=1)
    del sys.modules["only_on_the_sender"]
    kind, seq, got = t.decode(frame)
    assert (kind, seq) == ("B", 1)
    assert len(got) == len(recs)
    bad = [i for i, r in enumerate(got) if r[0] == t.UNDECODABLE]
    assert bad == [1, 2, 4, 6]
    assert [got[i] for i in range(len(got)) if i not in bad] == \
        [recs[i] for i in range(len(recs)) if i not in bad]
    assert all("only_on_the_sender.Thing" in got[i][1] for i in bad)
    assert got[2][2:] == ("q", 5, 6, 7)      # an ask can be answered
    assert got[4][2:] == ("r", 8, 9, None)
    assert got[6][2:] == ("x", 10, "sender", None)


def _rebuild_for_test(x):
    if x == "bad":
        raise ValueError("cannot rebuild")
    return x


class _Rebuilt:
    def __init__(self, x):
        self.x = x

    def __reduce__(self):
        return _rebuild_for_test, (self.x,)


def test_a_function_that_raises_while_rebuilding_costs_only_its_record():
    frame, = t.encode_batch([(1, _Rebuilt("ok")), (2, _Rebuilt("bad")),
                             (3, _Rebuilt("ok"))], 1 << 20, None, seq=1)
    kind, seq, got = t.decode(frame)
    assert got[0] == (1, "ok") and got[2] == (3, "ok")
    assert got[1][0] == t.UNDECODABLE and "cannot rebuild" in got[1][1]


def test_a_batch_that_does_not_decode_at_all_is_a_bad_frame():
    import pickle
    body = bytearray(pickle.dumps([(1, "a"), (2, "b")], 5))
    body[-3:] = b"\xff\xff\xff"
    with pytest.raises(t.BadFrame):
        t.decode(t.BATCH + (4).to_bytes(8, "little") + bytes(body))


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
