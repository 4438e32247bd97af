"""Flow control between nodes: bounded mailboxes reach remote producers.

Receiving side.  A record for a local actor whose mailbox is full (a
message, or an ask: spawn(..., mailbox=N)) is not delivered, dropped, nor
a reason to declare anyone down: the node holds it, and every later record
of that peer behind it (so that messages and signals between two actors
stay in order), and a releaser actor delivers them as room appears.
Frames keep being read (heartbeats, hellos, byes of other peers: the
inbox never stops, see _transport.bind_inbox on why it must not), so what
is held must stay bounded: that is the credit.

Credits.  The receiver acknowledges, in an ACK frame outside the batch
sequence, the number of the last batch it has delivered in full (after
ACK_RECORDS records or ACK_BATCHES batches delivered, and at every tick).
The sender counts the records of batches not yet acknowledged; an actor
that sends to a peer with CREDIT of them outstanding flushes and waits
(yielding, and for as long as the peer is up) until acknowledgements
come.  So a slow consumer slows its remote producers down, and memory
stays bounded on both sides: at most CREDIT records (plus control
records) in flight or held per peer, and the bounded mailbox.  The
node's own records (links, monitors, replies, byes) are never held back
on the sending side.
"""
from __future__ import annotations

import collections
import time

import actors
from actors._backend import core as _core
from actors import _transport

CREDIT = 65536                    # unacknowledged records per peer
ACK_RECORDS = CREDIT // 4
ACK_BATCHES = 64
_monotonic = time.monotonic


class PeerFlow:
    __slots__ = ("held", "done_seq", "done_recs", "ack_sent",
                 "unacked", "unacked_recs", "acked")

    def __init__(self):
        self.held = collections.deque()   # (seq, records, next index)
        self.done_seq = 0             # last batch delivered in full
        self.done_recs = 0            # records delivered since our ack
        self.ack_sent = 0
        self.unacked = collections.deque()  # (last seq, records) sent
        self.unacked_recs = 0
        self.acked = 0                # last seq the peer acknowledged


# -- receiving ----------------------------------------------------------------

def on_batch(node, p, seq, records):
    """Deliver a batch of p's in order, or hold it (and what follows)."""
    fl = p.flow
    if fl.held:
        fl.held.append((seq, records, 0))
        return
    stop = node.on_records(p, records, 0)
    if stop is None:
        delivered(node, p, seq, len(records))
    elif not p.gone:
        fl.held.append((seq, records, stop))
        delivered(node, p, 0, stop)
        start_releaser(node, p)


def delivered(node, p, seq, n):
    fl = p.flow
    if seq:
        fl.done_seq = seq
    fl.done_recs += n
    if fl.done_recs >= ACK_RECORDS or fl.done_seq - fl.ack_sent >= \
            ACK_BATCHES:
        send_ack(p)


def send_ack(p):
    fl = p.flow
    if fl.done_seq > fl.ack_sent and p.sock is not None and not p.gone:
        if _transport.try_send(p.sock, _transport.ack_frame(fl.done_seq)):
            fl.ack_sent = fl.done_seq
            fl.done_recs = 0


def start_releaser(node, p):
    node.holding.add(p)
    if node.releaser is None or not node.releaser.alive:
        node.releaser = actors.spawn(_releaser_main, node)


def release(node, p):
    """Deliver what p's held records allow; True when none are left."""
    held = p.flow.held
    while held and not p.gone:
        seq, records, i = held[0]
        stop = node.on_records(p, records, i)
        if stop is not None:
            if not p.gone:
                held[0] = (seq, records, stop)
                delivered(node, p, 0, stop - i)
            return False
        held.popleft()
        delivered(node, p, seq, len(records) - i)
    held.clear()
    return True


def _releaser_main(node):
    """Deliver held records as mailboxes make room: bare yields first,
    then naps of a millisecond (the consumers may wait on other things)."""
    idle = 0
    while node.holding:
        progress = False
        for p in list(node.holding):
            before = len(p.flow.held) and p.flow.held[0][2]
            if p.gone or release(node, p):
                node.holding.discard(p)
                progress = True
            elif p.flow.held[0][2] != before:
                progress = True
        idle = 0 if progress else idle + 1
        actors.sleep(0 if idle < 32 else 0.001)


# -- sending ------------------------------------------------------------------

def on_ack(p, seq):
    fl = p.flow
    if seq <= fl.acked:
        return
    fl.acked = seq
    unacked = fl.unacked
    while unacked and unacked[0][0] <= seq:
        fl.unacked_recs -= unacked.popleft()[1]


def sent(p, last_seq, n):
    """Batches up to last_seq carrying n records left for p."""
    fl = p.flow
    fl.unacked.append((last_seq, n))
    fl.unacked_recs += n


def throttle(node, p):
    """An actor's message for p took it to CREDIT records outstanding:
    frame what is queued, and wait (the calling actor, if it can) until
    the peer has acknowledged enough."""
    try:
        me = actors.self()
    except actors.ActorError:
        return                        # not an actor: nothing can wait
    if me in (node.ticker, node.flusher, node.zap_actor, node.releaser):
        return
    if p.out:                         # numbered, so that acks cover them
        node.number_out(p)
        node.drain_pending(p)
    fl = p.flow
    idle = 0
    while fl.unacked_recs >= CREDIT and not p.gone and not node.stopping:
        if p.pending:
            node.drain_pending(p)
        actors.sleep(0 if idle < 32 else 0.001)
        idle += 1
