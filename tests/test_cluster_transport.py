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
