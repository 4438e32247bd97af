"""Cluster nodes: actors on several processes or machines linked by ZeroMQ.

A node is a scheduler with a name, an incarnation (so that a restarted node
never passes for its old self) and one ROUTER inbox.  run_node() is the
root actor of such a scheduler: it names the node, binds the inbox, starts
the node's actors, joins the cluster through its seeds, runs main, and
stops gracefully: every peer confirms it has everything sent to it before
the sockets close.

The scheduler and three actors serve a node:

- no actor reads: the scheduler calls Node.on_readable in its own loop
  when the inbox's zmq.FD fires (Scheduler.watch_fd).  The FD is
  edge-triggered: each call receives until EAGAIN, in bounded bursts (the
  scheduler runs the actors woken between them), through libzmq directly
  where it can (_transport.inbox_reader).
- the ticker runs the node's tick: heartbeats, failure detection, retries
  of full outboxes, gossip, seeds.
- the scheduler flushes after each batch of actors in which a record was
  queued for a peer (_want_flush, flush_hook): everything queued meanwhile
  leaves as one frame per peer: that is the coalescing.  The flusher actor
  hears of the end of actors registered cluster-wide.
- the ZAP handler answers libzmq's authentication requests.

Records are sent in the order queued per peer, so messages from one actor
to another arrive in the order sent; batches are numbered per peer
incarnation, and a lost one makes both nodes declare each other down
rather than skip it (Node.check_seq).  A full outbox (SNDHWM) keeps the
frame for the tick to retry; an actor sending to a peer that has not
acknowledged CREDIT records waits (_flow: bounded mailboxes reach remote
producers).  A peer whose connection drops is declared down at once
(_liveness); one whose outbox stays full, or that stays silent, for
down_after seconds too: every link and monitor to its actors fires with
'noconnection'.  Seeds may come from DNS, files, the environment or Slurm
(_discovery); a health port answers probes (_health).
"""
from __future__ import annotations

import collections
import dataclasses
import itertools
import logging
import os
import pickle
import random
import time

import zmq

import actors
from actors._backend import core as _core
from actors import _discovery
from actors import _flow
from actors import _health
from actors import _interrupt
from actors import _liveness
from actors import _observe  # noqa: F401  (peers may spawn its read-only probe)
from actors import _observe_net
from actors import _nodeconfig
from actors._nodeconfig import NodeConfig, NodeDown, NodeStartError
from actors import _hello
from actors import _remote
from actors import _security
from actors import _transport
from actors._transport import BadFrame

log = logging.getLogger("actors.cluster")


_SpawnReply = collections.namedtuple("_SpawnReply", "key pid error")
_BURST = 64                       # frames received before yielding
_STALL_TIMEOUT = 30.0            # NodeConfig.stall_timeout's default
_REJOIN_FOR = 600.0               # seconds a lost peer is looked for
_REJOIN = "rejoin"                # a hello's reply field: "I declared you down"
_monotonic = time.monotonic
_pid = _core._pid
_send = actors.send
_want_flush = _core._want_flush


class _Peer:
    __slots__ = ("mon", "connected",     # see Node.silence_allowed
                 "name", "inc", "addr", "pub", "index", "ident", "sock",
                 "out", "pending", "last_heard", "full_since", "load",
                 "bad", "gone", "bye_out", "bye_in", "since",
                 "out_seq", "in_seq", "undecodable",
                 "flow",                      # _flow.PeerFlow
                 "frames_in", "bytes_in", "frames_out", "bytes_out")

    def __init__(self, name, inc, addr, pub, index):
        self.name = name
        self.inc = inc
        self.addr = addr
        self.pub = pub
        self.index = index
        self.mon = None               # _transport.connection_monitor
        self.connected = False        # our outbox's connection is up
        self.ident = None
        self.sock = None
        self.out = []                 # records not yet framed
        self.pending = collections.deque()   # frames the socket refused
        self.last_heard = _monotonic()
        self.full_since = None
        self.load = 0
        self.bad = 0
        self.gone = False
        self.bye_out = False          # we said bye: nothing more goes out
        self.bye_in = False           # they said bye: nothing more comes
        self.since = _monotonic()
        self.out_seq = 0              # the last batch numbered for it
        self.in_seq = 0               # the last batch it numbered for us
        self.undecodable = 0          # its records that did not decode
        self.flow = _flow.PeerFlow()
        # metrics (_metrics.py): frames and bytes each way
        self.frames_in = self.bytes_in = self.frames_out = self.bytes_out = 0


_node = None                      # the Node of this process, while it runs


def _ident(name, inc, tag=b""):
    return name.encode() + b"\0" + str(inc).encode() + tag


class Node:
    """The router the core calls for remote pids, and the node's state."""

    def __init__(self, config):
        self.cfg = config
        self.name = config.name
        self.inc = time.time_ns() ^ random.getrandbits(20)
        self.peers = {}               # name -> _Peer
        self.by_index = {}            # node index -> _Peer
        self.by_ident = {}            # routing id -> _Peer
        self.seeds = {}               # seed address -> [sock, name, last]
        self.kicked = False
        self.dirty = []               # peers with records queued
        self.flusher = self.ticker = self.zap_actor = None
        self.node_watchers = {}       # node name -> [local Pid]
        self.spawn_waits = {}         # key -> (peer name, requester Pid)
        self.spawn_keys = itertools.count(1)
        self.owned_names = {}         # cluster name -> local Pid we watch
        self.name_refs = {}           # monitor ref -> name
        self.stopping = False
        self.acks_pending = set()
        self.bad_unknown = 0
        self.bad_total = 0
        self.bad_logged = set()
        self.undecodable = 0          # records that did not decode here
        self.undecodable_logged = set()
        self.gaps = 0                 # peers downed for a sequence gap
        self.dropped = 0              # peers downed: connection dropped
        self.holding = set()          # peers whose records wait (_flow)
        self.releaser = None          # the actor delivering them
        self.departed = {}            # routing id of a peer gone -> expiry
        self.late = 0                 # frames from departed peers, dropped
        self.buried = {}              # name -> (incarnation declared down,
                                      # expiry): gossip cannot revive it
        self.lost = {}                # name -> (addr, pub, since): down
                                      # without a bye, looked for again
        self.next_tick = 0.0
        self.ticks = 0
        self.ctx = self.inbox = self.zap = None
        self.recv_burst = None            # reads the inbox (inbox_reader)
        self.handshakes = None            # reports refused handshakes
        self.refused = 0
        self.join_refused = None      # why a peer refused this node
        self.refused_logged = set()
        self.addr = None
        self.cur_ident = b""
        self.codec = _transport.PICKLE
        self.unverified = set()       # certs: peers only gossip vouched for
        self.spawn_allowed = frozenset()
        self.seed_list = []           # the seeds' addresses now (_discovery)
        self.watcher = self.discovery_actor = self.health = None
        self.started = False
        self.listen = config.listen   # with ${VAR} expanded, from start()

    # -- start and stop ---------------------------------------------------

    def start(self):
        cfg = self.cfg
        self.spawn_allowed = _remote.check_allow_list(cfg.spawnable)
        try:
            listen = _discovery.expand(cfg.listen)
            advertise = _discovery.expand(cfg.advertise)
            self.seed_list = _discovery.resolve(cfg.seeds, cfg.dns_server)
        except _discovery.DiscoveryError as e:
            raise NodeStartError(str(e)) from None
        try:
            _security.check_exposure(cfg.security, listen, cfg.insecure)
        except _security.SecurityError as e:
            raise NodeStartError(str(e)) from None
        try:
            self.codec = _transport.codec(cfg.serializer)
        except ValueError as e:
            raise NodeStartError(str(e)) from None
        try:
            self.sec = _security.Security(cfg.security, cfg.cookie,
                                          cfg.cookie_file, cfg.cert_dir,
                                          cfg.name)
        except _security.SecurityError as e:
            raise NodeStartError(str(e)) from None
        self.ctx = zmq.Context()
        try:
            if self.sec.enabled:
                self.zap = self.ctx.socket(zmq.REP)
                self.zap.linger = 0
                self.zap.bind(_security.ZAP_ENDPOINT)
            try:
                self.inbox, bound = _transport.bind_inbox(
                    self.ctx, listen, self.sec, cfg)
            except OSError as e:
                raise NodeStartError(e.strerror or str(e)) from None
        except BaseException:
            self.ctx.destroy(0)
            raise
        self.addr = advertise or bound.replace("0.0.0.0", "127.0.0.1")
        self.listen = listen
        _core._set_local_node(self.name, self.inc)
        self.index_of_self = 0
        self.flusher = actors.spawn(_flusher_main, self)
        self.ticker = actors.spawn(_ticker_main, self)
        self.recv_burst = _transport.inbox_reader(self.inbox,
                                                  self.sec.binds_names)
        _core._watch_fd(self.inbox.getsockopt(zmq.FD), self.on_readable)
        self.handshakes = _transport.handshake_monitor(self.inbox)
        if self.handshakes is not None:
            _core._watch_fd(self.handshakes.getsockopt(zmq.FD),
                            self.on_monitor)
        if self.zap is not None:
            self.zap_actor = actors.spawn(_zap_main, self)
        _core._set_router(self)
        _core._set_flush_hook(self.flush_hook)
        if cfg.health_port is not None:
            try:
                self.health = _health.start(self, cfg.health_port)
            except OSError as e:
                self.close_now()
                raise NodeStartError("health port %s: %s"
                                     % (cfg.health_port, e)) from None
        for seed in self.seed_list:
            self.open_seed(seed)
        if self.seeds and cfg.join_timeout is not None:
            deadline = _monotonic() + cfg.join_timeout
            try:
                while not self.peers and _monotonic() < deadline and \
                        self.join_refused is None:
                    actors.sleep(0.02)
            except BaseException:         # ended meanwhile (Ctrl-C)
                self.close_now()
                raise
            if self.join_refused is not None:
                self.close_now()
                raise NodeStartError("cannot join the cluster: "
                                     + self.join_refused)
            if not self.peers:
                self.close_now()
                raise NodeStartError(
                    "no seed answered within %s s (%s): unreachable, not "
                    "running, or rejecting this node's cookie/key"
                    % (cfg.join_timeout, ", ".join(self.seeds)))
        if _discovery.is_dynamic(cfg.seeds):
            self.discovery_actor = actors.spawn(_discovery.discovery_main,
                                                self)
            self.watcher = _discovery.Watcher(
                cfg.seeds, cfg.dns_server, cfg.discovery_interval,
                self.seed_list, self.discovery_actor)
        self.started = True

    def update_seeds(self, seeds):
        """The seed sources now say seeds: say hello to the new ones, stop
        trying the ones gone (a peer found through one stays a peer)."""
        old, self.seed_list = set(self.seed_list), list(seeds)
        if self.stopping:
            return
        known = {p.addr for p in self.peers.values()}
        for seed in seeds:
            addr = seed.rpartition("@")[2]
            if seed in old or addr in self.seeds or addr in known:
                continue
            try:
                self.open_seed(seed)
            except Exception as e:
                log.warning("node %s: seed %s: %s", self.name, seed, e)
        for seed in old.difference(seeds):
            addr = seed.rpartition("@")[2]
            # A peer lost at an address the sources no longer list (a pod
            # gone for good) is not looked for there any more.
            for name in [n for n, lost in self.lost.items()
                         if lost[0] == addr]:
                del self.lost[name]
            if addr in self.seeds:
                self.seeds.pop(addr)[0].close(0)

    def ready(self):
        """Started and joined: connected to a peer, or no seed names
        another node (the first of a cluster)."""
        if not self.started or self.stopping:
            return False
        return bool(self.peers) or not any(
            s.rpartition("@")[2] not in (self.addr, self.listen)
            for s in self.seed_list)

    def stop(self):
        """Flush every outbox, say bye, wait for every peer to confirm it
        has all we sent, then close."""
        self.stopping = True
        self.acks_pending = {p.name for p in self.peers.values()}
        for p in list(self.peers.values()):
            self.queue(p, ("bye",))
            p.bye_out = True
        self.flush_all()
        deadline = _monotonic() + self.cfg.stop_timeout
        while self.acks_pending and _monotonic() < deadline:
            for p in list(self.peers.values()):
                if p.pending:
                    self.drain_pending(p)
            actors.sleep(0.005)
        if self.acks_pending:
            log.warning("node %s: stopped without confirmation from %s",
                        self.name, ", ".join(sorted(self.acks_pending)))
        self.close_now(linger=200 if self.acks_pending else 0)

    def flush_hook(self):
        """Called by the scheduler after each batch of actors that queued
        records: everything queued meanwhile leaves as one frame per peer."""
        self.kicked = False
        self.flush_all()

    def close_now(self, linger=0):
        if self.watcher is not None:
            self.watcher.stop()
        if self.health is not None:
            self.health.close()
        _core._set_router(None)
        _core._set_flush_hook(None)
        _core._watch_fd(self.inbox.getsockopt(zmq.FD), None)
        if self.handshakes is not None:
            _core._watch_fd(self.handshakes.getsockopt(zmq.FD), None)
            self.inbox.disable_monitor()
            self.handshakes.close(0)
            self.handshakes = None
        me = actors.self()
        refs = []
        for pid in (self.ticker, self.flusher, self.zap_actor,
                    self.releaser, self.discovery_actor):
            if pid is not None and pid.alive and pid != me:
                refs.append(actors.monitor(pid))
                actors.exit(pid, "kill")
        for ref in refs:
            actors.receive(lambda m, r=ref: type(m) is _core.Down and
                           m.ref == r, timeout=2.0, default=None)
        for p in list(self.peers.values()):
            if p.sock is not None:
                _liveness.unwatch(p)
                _transport.close_monitored(p.sock, p.mon, linger)
                p.sock = p.mon = None
        for s in self.seeds.values():
            s[0].close(0)
        self.peers.clear()
        self.by_index.clear()
        self.ctx.destroy(linger)

    # -- seeds and membership ---------------------------------------------

    def open_seed(self, seed, key=None, rejoin=False):
        name, _, addr = seed.rpartition("@")
        if addr == self.addr or addr == self.listen:
            return
        if key is None:
            key = self.sec.seed_server_key(name or None)
        if self.sec.enabled and key is None:
            raise NodeStartError("seed %r: in certs mode write seeds as "
                                 "name@address with DIR/name.key present"
                                 % seed)
        sock = _transport.connect_outbox(self.ctx, addr, _ident(
            self.name, self.inc, b"\0seed"), self.sec, key, self.cfg)
        self.seeds[addr] = [sock, name, 0.0, rejoin]
        self.hello_seed(addr)

    def hello_seed(self, addr):
        s = self.seeds[addr]
        s[2] = _monotonic()
        _transport.try_send(s[0], self.hello(addr, s[3] or True))

    def hello(self, to_addr, reply):
        """A hello frame (_hello: its own kind, never in a batch)."""
        return _hello.encode(self.name, self.inc, self.addr, self.sec.public,
                             to_addr, reply, list(self.owned_names.items()),
                             self.codec.name)

    def send_hello(self, p, to_addr, reply):
        """Say hello to peer p, after what is already queued for it."""
        if p.bye_out:
            return
        if p.out:
            self.number_out(p)
        p.pending.append(self.hello(to_addr, reply))
        self.drain_pending(p)

    def members(self):
        return ("members", [(p.name, p.inc, p.addr, p.pub)
                            for p in self.peers.values()])

    def add_peer(self, name, inc, addr, pub):
        index = _core._node_id(name, inc)
        p = _Peer(name, inc, addr, pub, index)
        key = pub if self.sec.mode == "certs" else self.sec.public
        p.sock, p.mon = _transport.connect_outbox(
            self.ctx, addr, _ident(self.name, self.inc), self.sec, key,
            self.cfg, monitored=True)
        self.peers[name] = p
        self.by_index[index] = p
        self.lost.pop(name, None)
        _liveness.watch(self, p)      # a dropped connection: down at once
        log.debug("node %s: peer %s (%s) up", self.name, name, addr)
        return p

    def on_hello(self, ident, rec):
        _, name, inc, addr, pub, to_addr, reply, names = rec
        if not isinstance(name, str) or not isinstance(addr, str):
            raise ValueError("bad hello")
        if name == self.name:
            if inc > self.inc and addr != self.addr:   # (older: a straggler)
                self.refuse_name(name, addr, pub, inc, self.addr)
            return None
        if self.sec.binds_names:
            self.check_bound_hello(ident, name, pub)
        p = self.peers.get(name)
        if p is not None and p.inc != inc and name in self.unverified:
            # Only gossip vouched for that incarnation: the node's own
            # authenticated hello says which is real.
            self.peer_down(p, "noconnection")
            p = None
        if p is None and inc < self.buried.get(name, (-1,))[0]:
            self.late += 1                 # older than the one that went
            return None
        if p is not None and p.inc != inc:
            if inc < p.inc:
                return None                # an old incarnation's straggler
            if self.still_there(p):
                self.refuse_name(name, addr, pub, inc, p.addr)
                return None
            self.peer_down(p, "noconnection")
            p = None
        elif p is not None and reply == _REJOIN and \
                _monotonic() - p.since > 1.0:
            # It declared us down and we never saw why (a one-sided
            # partition, or this process was paused): do the same, so that
            # both sides' links and monitors fire, then rejoin.  (Hellos it
            # queued while cut off arrive together: the first one counts.)
            self.peer_down(p, "noconnection")
            p = None
        new = p is None
        if new:
            if self.stopping:
                return None
            p = self.add_peer(name, inc, addr, pub)
            self.send_hello(p, to_addr, False)   # echoes their seed
            self.queue(p, self.members())
        elif reply:
            self.send_hello(p, to_addr, False)
        if not ident.endswith(b"\0seed"):
            p.ident = ident
        self.by_ident[ident] = p
        p.last_heard = _monotonic()
        seed = self.seeds.pop(to_addr, None) if not reply else None
        if seed is not None:
            seed[0].close(500)
        self.unverified.discard(name)
        for n, pid in names:
            self.learn_name(n, pid)
        return p

    def still_there(self, p):
        """Peer p's process is up (its connection too, and it spoke within
        down_after): a hello from another incarnation of its name is a
        second node of that name, not a restart."""
        _liveness.on_change(self, p)      # refreshes p.connected
        return not p.gone and p.connected and \
            _monotonic() - p.last_heard <= self.cfg.down_after

    def refuse_name(self, name, addr, pub, inc, taken_at):
        """Tell a node that said hello with a name another live node of
        the cluster has that it cannot join (its start fails); log it."""
        why = ("node name %r is taken by the node at %s (refused: the "
               "one at %s, incarnation %s)" % (name, taken_at, addr, inc))
        log.error("node %s: refused a node at %s: %s", self.name, addr, why)
        key = pub if self.sec.mode == "certs" else self.sec.public
        try:
            sock = _transport.connect_outbox(
                self.ctx, addr, _ident(self.name, self.inc, b"\0refuse"),
                self.sec, key, self.cfg)
        except Exception as e:
            log.debug("node %s: cannot reach %s: %s", self.name, addr, e)
            return
        _transport.try_send(sock, _hello.encode_refusal(why))
        sock.close(1000)                  # linger: the frame goes first

    def on_refused(self, why):
        """Only a start waits for this (join_refused): later, it is
        logged."""
        if self.join_refused is None:
            log.error("node %s: the cluster refused this node: %s",
                      self.name, why)
        self.join_refused = why

    def check_bound_hello(self, ident, name, pub):
        """Certs mode: a hello may say only the name of the certificate its
        connection authenticated with (the inbox prefixes each routing id
        with that name, from the ZAP User-Id) and announce that
        certificate's key: an admitted node cannot pass for another, nor
        evict it with a higher incarnation."""
        who = ident.split(b"\0", 1)[0].decode("utf-8", "replace")
        if who != name:
            raise ValueError("a hello saying %r on a connection "
                             "authenticated as %r" % (name, who))
        if not self.sec.key_matches(name, pub):
            raise ValueError("%r announced a key that is not its "
                             "certificate's" % (name,))

    def trust_gossip(self, name, pub, p):
        """May a members record (name, pub) add a peer, replacing p?
        Certs mode: only with the key of name's certificate, and never in
        place of a peer whose own hello was accepted (gossip cannot evict
        a node; a restarted one says hello itself)."""
        if not self.sec.binds_names:
            return True
        return self.sec.key_matches(name, pub) and \
            (p is None or name in self.unverified)

    def on_members(self, peer, rec):
        for name, inc, addr, pub in rec[1]:
            if name == self.name or self.stopping:
                continue
            p = self.peers.get(name)
            if p is None or p.inc < inc:
                if inc <= self.buried.get(name, (-1,))[0]:
                    # From a peer that has not seen it go yet: only that
                    # incarnation's own hello brings it back.
                    continue
                if not self.trust_gossip(name, pub, p):
                    continue
                if p is not None:
                    if self.still_there(p):
                        continue          # a second node of that name
                    self.peer_down(p, "noconnection")
                q = self.add_peer(name, inc, addr, pub)
                if self.sec.binds_names:
                    self.unverified.add(name)
                self.send_hello(q, addr, True)

    def peer_down(self, p, reason, linger=0):
        if p.gone:
            return
        p.gone = True
        self.peers.pop(p.name, None)
        self.by_index.pop(p.index, None)
        expiry = _monotonic() + max(10.0, 3 * self.cfg.down_after)
        self.buried[p.name] = (p.inc, expiry)
        for ident in [i for i, q in self.by_ident.items() if q is p]:
            del self.by_ident[ident]
            # What it sent before it learned of this (a bye_ack crossing
            # our bye, records in flight) is late, not bad.
            self.departed[ident] = expiry
        p.out = []
        p.pending.clear()
        if p.sock is not None:
            _liveness.unwatch(p)
            _transport.close_monitored(p.sock, p.mon, linger)
            p.sock = p.mon = None
        self.acks_pending.discard(p.name)
        if not p.bye_in and not self.stopping:
            # Silent or unreachable: a partition heals, so look for it
            # again (the same incarnation is admitted back by its hello).
            self.lost[p.name] = (p.addr, p.pub, _monotonic())
        log.info("node %s: peer %s down (%s)", self.name, p.name, reason)
        for key, (name, requester) in list(self.spawn_waits.items()):
            if name == p.name:
                del self.spawn_waits[key]
                _send(requester, _SpawnReply(
                    key, None, "node %s went down (%s)" % (name, reason)))
        for w in self.node_watchers.pop(p.name, ()):
            _send(w, NodeDown(p.name, reason))
        _core._node_down(p.index, "noconnection")
        if not self.peers and not self.stopping:
            for seed in self.seed_list:   # alone again: look for the others
                addr = seed.rpartition("@")[2]
                if addr not in self.seeds and addr != self.addr:
                    try:
                        self.open_seed(seed)
                    except Exception:
                        pass

    def nudge_lost(self, ident):
        """A peer we declared down still talks to us: it has not seen that.
        Say the rejoin hello now instead of at the next retry."""
        name = ident.split(b"\0", 1)[0].decode("utf-8", "replace")
        lost = self.lost.get(name)
        s = self.seeds.get(lost[0]) if lost is not None else None
        if s is not None and s[3] and _monotonic() - s[2] > 0.25:
            self.hello_seed(lost[0])

    def look_for_lost(self, now):
        """Re-seed from the address of every peer declared down without a
        bye (a seed socket says hello every 2 s until answered)."""
        for name, (addr, pub, since) in list(self.lost.items()):
            if name in self.peers or now - since > _REJOIN_FOR:
                del self.lost[name]
                s = self.seeds.get(addr)
                if s is not None and s[1] == name and name not in self.peers:
                    self.seeds.pop(addr)[0].close(0)
                continue
            if addr in self.seeds:
                continue
            key = pub if self.sec.mode == "certs" else None
            try:
                self.open_seed("%s@%s" % (name, addr) if key else addr, key,
                           _REJOIN)
            except Exception as e:
                log.debug("node %s: cannot look for %s at %s: %s",
                          self.name, name, addr, e)
                continue
            if addr in self.seeds and self.seeds[addr][1] == "":
                self.seeds[addr][1] = name

    # -- the router interface (called by the core) -------------------------

    def queue(self, p, rec):
        if p.bye_out and rec[0] != "bye_ack":
            return                        # we said bye: the peer drops us
        out = p.out
        if not out:
            self.dirty.append(p)
        out.append(rec)
        if not self.kicked:
            self.kicked = True
            _want_flush()

    def send(self, pid, msg):
        p = self.by_index.get(pid.node)
        if p is None or p.bye_out:
            return                        # its node is gone: dropped
        out = p.out
        if not out:
            self.dirty.append(p)
        out.append((pid.id, msg))
        if p.flow.unacked_recs + len(out) >= _flow.CREDIT:
            _flow.throttle(self, p)   # a slow peer: wait for its credit
        if not self.kicked:
            self.kicked = True
            _want_flush()

    def ask(self, pid, msg, asker, ref):
        """A request for remote pid from local actor id asker; False if its
        node is not connected."""
        p = self.by_index.get(pid.node)
        if p is None or p.bye_out:
            return False
        self.queue(p, ("q", pid.id, asker, ref, msg))
        return True

    def ask_probe(self, pid, ref, chain):
        """Edge chasing of ask cycles (cython_src/askcycle.pxi): chain of
        pids, each waiting in an ask of the next, goes on at pid's node;
        ref is the id of the ask chain[0] waits in."""
        p = self.by_index.get(pid.node)
        if p is not None:
            self.queue(p, ("ac", ref, chain))

    def reply(self, pid, ref, value, exc):
        """The answer to remote pid's request ref."""
        p = self.by_index.get(pid.node)
        if p is not None:
            self.queue(p, ("r", pid.id, ref, value, exc))

    def exit(self, dest, sender, reason):
        p = self.by_index.get(dest.node)
        if p is not None:
            self.queue(p, ("x", dest.id, sender, self.portable(reason)))

    def link(self, remote, local):
        p = self.by_index.get(remote.node)
        if p is None:
            _core._in_exit(local, remote, "noconnection")
        else:
            self.queue(p, ("l", remote.id, local))

    def unlink(self, remote, local):
        p = self.by_index.get(remote.node)
        if p is not None:
            self.queue(p, ("ul", remote.id, local))

    def monitor(self, remote, watcher, ref):
        p = self.by_index.get(remote.node)
        if p is None:
            _core._in_down(watcher, ref, remote, "noconnection")
        else:
            self.queue(p, ("mon", remote.id, watcher, ref))

    def demonitor(self, remote, ref):
        p = self.by_index.get(remote.node)
        if p is not None:
            self.queue(p, ("dm", remote.id, ref))

    def down(self, watcher, ref, pid, reason):
        p = self.by_index.get(watcher.node)
        if p is not None:
            self.queue(p, ("d", watcher.id, ref, pid, self.portable(reason)))

    def portable(self, reason):
        if self.codec is _transport.PICKLE:
            return _portable(reason)
        return _msgpack_portable(self, reason)

    def alive(self, pid):
        return pid.node in self.by_index

    def register(self, name, pid):
        """register(name, pid, scope="cluster"), which the core routes here."""
        register_cluster(name, pid)

    def unregister(self, name):
        unregister_cluster(name)

    def spawn(self, node, fn, args, kwargs, timeout=10.0):
        ref = _function_ref(fn)
        if node == "any":
            here = _core._stats()["processes"]
            best = min(self.peers.values(), key=lambda p: p.load,
                       default=None)
            if best is None or here <= best.load:
                return actors.spawn(fn, *args, **kwargs)
            p = best
            p.load += 1                   # until its next heartbeat says
        elif node == self.name:
            return actors.spawn(fn, *args, **kwargs)
        else:
            p = self.peers.get(node)
            if p is None:
                raise actors.ActorError("node %r is not connected" % (node,))
        try:
            blob = self.codec.dumps((args, kwargs))
        except Exception as e:
            raise TypeError("spawn(node=%r): the arguments cannot be sent "
                            "with the %s serializer: %s"
                            % (p.name, self.codec.name, e)) from None
        key = next(self.spawn_keys)
        me = actors.self()
        self.spawn_waits[key] = (p.name, me)
        self.queue(p, ("spawn", key, me, ref[0], ref[1], blob))
        try:
            r = actors.receive(lambda m: type(m) is _SpawnReply and
                               m.key == key, timeout=timeout)
        finally:
            self.spawn_waits.pop(key, None)
        if r.error is not None:
            raise actors.ActorError("spawn on node %s failed: %s"
                                    % (p.name, r.error))
        return r.pid

    # -- flushing ---------------------------------------------------------

    def flush_all(self):
        dirty, self.dirty = self.dirty, []
        for p in dirty:
            if p.gone or not p.out:
                continue
            self.number_out(p)
            self.drain_pending(p)

    def number_out(self, p):
        """p's queued records into numbered batch frames, pending to go."""
        out, p.out = p.out, []
        frames = _transport.encode_batch(
            out, self.cfg.max_msg_size,
            lambda rec, err, p=p: self.unsendable(p, rec, err), self.codec,
            p.out_seq + 1)
        p.out_seq += len(frames)
        p.pending.extend(frames)
        _flow.sent(p, p.out_seq, len(out))

    def drain_pending(self, p):
        pending = p.pending
        sock = p.sock
        while pending:
            if not _transport.try_send(sock, pending[0]):
                if p.full_since is None:
                    p.full_since = _monotonic()
                return False
            p.frames_out += 1
            p.bytes_out += len(pending.popleft())
        p.full_since = None
        return True

    def unsendable(self, p, rec, err):
        """A record for peer p that cannot be encoded (or alone exceeds
        max_msg_size) is left out and logged; one someone waits on fails
        that wait at once with the error instead of its timeout: an ask's
        request (the asker here), its reply (the asker there gets an
        error reply), a remote spawn (the spawner here)."""
        _unpicklable(rec, err)
        kind = rec[0]
        if kind == "q":                   # ("q", target, asker, ref, msg)
            _core._in_reply(rec[2], rec[3], None, _sending_error(
                "ask(): the request cannot be sent to node %s" % p.name,
                err))
        elif kind == "r" and not getattr(rec[4], "_actors_unsent", False):
            # ("r", asker, ref, value, exc): answer with the error
            exc = _sending_error("the reply from node %s cannot be sent"
                                 % self.name, err)
            exc._actors_unsent = True
            self.queue(p, ("r", rec[1], rec[2], None, exc))
        elif kind == "spawn":             # ("spawn", key, requester, ...)
            if self.spawn_waits.pop(rec[1], None) is not None:
                _send(rec[2], _SpawnReply(rec[1], None, "%s: %s" % (
                    type(err).__name__, err)))

    # -- receiving --------------------------------------------------------

    def on_readable(self):
        """The inbox's FD fired (the scheduler calls this, in its loop):
        receive until EAGAIN, at most _BURST messages; True when it
        stopped at that limit (the scheduler calls again after the actors
        it woke)."""
        try:
            items, stopped = self.recv_burst(_BURST)
        except OSError as e:
            log.error("node %s: inbox: %s", self.name, e)
            return False
        for ident, frame in items:
            if frame is None:
                self.bad_frame(self.by_ident.get(ident), "not 2 parts")
                continue
            try:
                self.on_frame(ident, frame)
            except Exception:
                log.exception("node %s: error handling a frame", self.name)
        return stopped

    def on_monitor(self):
        """Connections whose handshake libzmq refused: counted, each kind
        logged once (no frame of theirs ever reaches on_frame)."""
        for why in _transport.refused_handshakes(self.handshakes):
            self.refused += 1
            if why not in self.refused_logged:
                self.refused_logged.add(why)
                log.warning("node %s: refused a connection on %s (%s; "
                            "further ones are counted, not logged)",
                            self.name, self.addr, why)
        return False

    def on_frame(self, ident, frame):
        self.cur_ident = ident
        p = self.by_ident.get(ident)
        if p is None or frame[:3] == _hello.HELLO:
            self.on_hello_frame(ident, p, frame)
            return
        try:
            kind, seq, body = _transport.decode(frame, self.codec)
        except _transport.WrongSerializer as e:
            self.bad_frame(p, "refused: %s; every node of a cluster needs "
                           "the same NodeConfig(serializer=...)" % e)
            return
        except BadFrame as e:
            self.bad_frame(p, str(e))
            return
        p.last_heard = _monotonic()
        p.frames_in += 1
        p.bytes_in += len(frame)
        if kind == "H":
            p.load = body
            if seq != p.in_seq:
                self.on_seq_gap(p, p.in_seq + 1, seq, "heartbeat")
            return
        if kind == "A":
            _flow.on_ack(p, seq)
            return
        if seq and not self.check_seq(p, seq):
            return
        _flow.on_batch(self, p, seq, body)

    def on_hello_frame(self, ident, p, frame):
        """A hello, or any frame of a connection whose hello was not
        accepted (p None): of those nothing but a hello is decoded (a
        batch is a pickle: unpickling a stranger's runs its code)."""
        head = frame[:3]
        if head == _hello.REFUSED:        # plain text: safe from anyone
            try:
                self.on_refused(_hello.decode_refusal(frame))
            except BadFrame as e:
                self.bad_frame(p, str(e))
            return
        if head == _observe_net.REQUEST:  # `actors top`: JSON, no peer
            _observe_net.answer(self, ident, frame)
            return
        if head != _hello.HELLO:
            if ident in self.departed:
                if head != _transport.HEARTBEAT:
                    self.late += 1       # sent before it heard of it
                self.nudge_lost(ident)
            elif head != _transport.HEARTBEAT:
                self.bad_frame(None, "a frame before the hello (dropped "
                               "undecoded)")
            return
        try:
            rec = _hello.decode(frame)
            if rec[-1] != self.codec.name:
                self.bad_frame(p, "refused: a %s hello (this node uses %s); "
                               "every node of a cluster needs the same "
                               "NodeConfig(serializer=...)"
                               % (rec[-1], self.codec.name))
                return
            if p is not None:
                p.last_heard = _monotonic()
            self.on_hello(ident, rec[:-1])
        except BadFrame as e:
            self.bad_frame(p, str(e))
        except (ValueError, TypeError) as e:
            self.bad_frame(p, "bad hello: %s" % e)

    def on_records(self, p, body, i):
        """Deliver body[i:] in order; the index of a record for a full
        bounded mailbox, where it stopped (_flow holds the rest)."""
        n = len(body)
        room = _core._room if _core._bounded() else None
        pid = _pid
        send = _send
        in_request = _core._in_request
        in_reply = _core._in_reply
        index = p.index
        while i < n:
            rec = body[i]
            i += 1
            try:
                kind = rec[0]
                if type(kind) is int:
                    if room is not None and not room(kind):
                        return i - 1
                    send(pid(0, kind), rec[1])
                elif kind == "q":
                    if room is not None and not room(rec[1]):
                        return i - 1
                    in_request(index, rec)
                elif kind == "r":
                    exc = rec[4]
                    if type(exc) is tuple:        # msgpack: (type, str)
                        exc = _transport.exception_from_pair(exc)
                    in_reply(rec[1], rec[2], rec[3], exc)
                else:
                    handler = _HANDLERS.get(rec[0])
                    if handler is None:
                        raise ValueError("unknown record %r" % (rec[0],))
                    handler(self, p, rec)
            except _core._ExitSignal:
                raise
            except Exception as e:
                self.bad_frame(p, "bad record: %s: %s"
                               % (type(e).__name__, e))
            if p.gone:
                return None
        return None

    def bad_frame(self, p, why):
        self.bad_total += 1
        if p is None:
            self.bad_unknown += 1
            key = None
        else:
            p.bad += 1
            key = (p.name, p.inc)
        if key not in self.bad_logged:
            self.bad_logged.add(key)
            log.warning("node %s: dropped a bad frame from %s: %s (further "
                        "ones are counted, not logged)", self.name,
                        "an unknown peer" if p is None else p.name, why)

    # -- sequence numbers: in order, or noconnection ------------------------
    #
    # libzmq may lose frames without telling: a TCP connection reset and
    # reconnected inside down_after drops what was in flight, and a socket
    # closed when a peer is declared down drops its queue.  So every batch
    # to a peer incarnation is numbered from 1 (a new _Peer starts again),
    # heartbeats carry the last number sent, and the receiver checks each
    # number comes exactly once, in order.  A gap is never skipped: the
    # batch after it is not delivered, the peer is declared down here
    # (links and monitors fire with 'noconnection'), a ("gap",) record
    # tells the peer to do the same, and both then rejoin as after a
    # partition (the rejoin hello also makes a peer that missed the
    # notice go down: on_hello's _REJOIN).  Retransmission would need
    # a window of unacknowledged batches kept on the sender and acks:
    # more state for what Erlang too answers with noconnection.

    def check_seq(self, p, seq):
        """True if batch number seq is the next one from p; else p is
        down (on_seq_gap) and the batch must not be delivered."""
        if seq == p.in_seq + 1:
            p.in_seq = seq
            return True
        self.on_seq_gap(p, p.in_seq + 1, seq, "batch")
        return False

    def on_seq_gap(self, p, expected, got, what):
        if p.gone:
            return
        self.gaps += 1
        log.warning("node %s: %s %d from %s where %d was due: batches were "
                    "lost in transit; declaring it down", self.name, what,
                    got, p.name, expected)
        self.queue(p, ("gap", expected, got))
        self.flush_all()
        self.peer_down(p, "noconnection", linger=500)

    def on_gap(self, p, rec):
        """The peer lost some of our batches and declared us down."""
        log.warning("node %s: %s lost batches of ours (%r); declaring it "
                    "down too", self.name, p.name, rec[1:])
        self.peer_down(p, "noconnection")

    def on_undecodable(self, p, rec):
        """A record of p's that does not decode here (a class only p has):
        counted and logged; an ask gets an error reply, a reply reaches
        its asker as an error, an exit or Down arrives with a stand-in
        reason.  The records around it were delivered in order."""
        _, what, kind, a, b, c = rec
        self.undecodable += 1
        p.undecodable += 1
        key = (p.name, what)
        if key not in self.undecodable_logged:
            self.undecodable_logged.add(key)
            log.warning("node %s: dropped a record from node %s that does "
                        "not decode here (%s): %s (further ones are "
                        "counted, not logged)", self.name, p.name,
                        _record_name(kind, a, b), what)
        why = "undecodable on node %s: %s" % (self.name, what)
        if kind == "q" and type(b) is int and type(c) is int:
            self.queue(p, ("r", b, c, None, actors.ActorError(
                "the request could not be decoded on node %s: %s"
                % (self.name, what))))
        elif kind == "r" and type(a) is int and type(b) is int:
            _core._in_reply(a, b, None, actors.ActorError(
                "the reply from node %s could not be decoded: %s"
                % (p.name, what)))
        elif kind == "x" and type(a) is int and isinstance(b, actors.Pid):
            _core._in_exit(_pid(0, a), b, why)
        elif kind == "d" and type(a) is int and b is not None and \
                isinstance(c, actors.Pid):
            # the reason is the field after c: the one that failed
            _core._in_down(_pid(0, a), b, c, why)

    # -- records ----------------------------------------------------------

    def on_bye(self, p, rec):
        p.bye_in = True
        self.queue(p, ("bye_ack",))
        self.flush_all()
        if p.name in self.acks_pending:
            return            # both stopping: wait for its ack of our bye
        self.peer_down(p, "noconnection", linger=2000)

    def on_bye_ack(self, p, rec):
        self.acks_pending.discard(p.name)
        if p.bye_in:
            self.peer_down(p, "noconnection", linger=2000)

    def on_spawn(self, p, rec):
        _, key, requester, mod, qual, blob = rec
        try:
            fn = _remote.resolve(mod, qual, self.spawn_allowed)
            args, kwargs = self.codec.loads(blob)
            pid = actors.spawn(fn, *args, **kwargs)
            err = None
        except Exception as e:
            pid, err = None, "%s: %s" % (type(e).__name__, e)
        self.queue(p, ("spawned", key, requester, pid, err))

    def on_spawned(self, p, rec):
        _, key, requester, pid, err = rec
        if self.spawn_waits.pop(key, None) is not None:
            _send(requester, _SpawnReply(key, pid, err))

    def on_reg(self, p, rec):
        self.learn_name(rec[1], rec[2])

    def on_unreg(self, p, rec):
        names = _core._cluster_names()
        if names.get(rec[1]) == rec[2]:
            del names[rec[1]]

    def learn_name(self, name, pid):
        if not isinstance(name, str) or not isinstance(pid, actors.Pid):
            raise ValueError("bad name record")
        _core._cluster_names()[name] = pid
        if pid.node == 0 and name not in self.owned_names:
            if pid.alive:
                self.own_name(name, pid)
            else:
                self.drop_name(name, pid)

    def own_name(self, name, pid):
        self.owned_names[name] = pid
        self.name_refs[_monitor_for(self.flusher, pid)] = name

    def drop_name(self, name, pid):
        names = _core._cluster_names()
        if names.get(name) == pid:
            del names[name]
        self.owned_names.pop(name, None)
        for p in list(self.peers.values()):
            self.queue(p, ("unreg", name, pid))

    # -- the tick -----------------------------------------------------------

    def silence_allowed(self, p):
        """Seconds peer p may stay silent (or keep our outbox full).  While
        our connection to it is up, libzmq's I/O thread there answers ZMTP
        pings: its process runs and only its scheduler is busy or blocked
        (a CPU-bound actor, time.sleep()), and what we send waits in its
        inbox; declaring it down would lose that.  Such a peer gets
        stall_timeout; one whose connection is gone (dead, stopped,
        unreachable: no PONG) gets down_after."""
        cfg = self.cfg
        if not p.connected:
            return cfg.down_after
        if cfg.stall_timeout is None:
            return max(_STALL_TIMEOUT, cfg.down_after)
        return cfg.stall_timeout

    def tick(self, now):
        cfg = self.cfg
        self.next_tick = now + cfg.heartbeat
        self.ticks += 1
        load = _core._stats()["processes"]
        for p in list(self.peers.values()):
            _liveness.on_change(self, p)      # (the fd watch reads first)
            if p.gone:
                continue
            _flow.send_ack(p)
            limit = self.silence_allowed(p)
            if p.pending and not self.drain_pending(p) and \
                    now - p.full_since > limit:
                self.peer_down(p, "noconnection")
                continue
            if now - p.last_heard > limit:
                self.peer_down(p, "noconnection")
                continue
            if not p.pending:             # so out_seq has all gone
                _transport.try_send(p.sock,
                                    _transport.heartbeat_frame(load, p.out_seq))
        if self.peers and self.ticks % 4 == 0 and not self.stopping:
            p = random.choice(list(self.peers.values()))
            self.queue(p, self.members())
        for addr, s in list(self.seeds.items()):
            if now - s[2] > 2.0:
                self.hello_seed(addr)
        if self.lost and not self.stopping and self.ticks % 2 == 0:
            self.look_for_lost(now)
        if self.ticks % 8 == 0:
            for ident in [i for i, t in self.departed.items() if t < now]:
                del self.departed[ident]
            for name in [n for n, (_, t) in self.buried.items() if t < now]:
                del self.buried[name]


def _its_own(p, who):
    """who, the actor (or ref) a signal from peer p says it comes from: one
    of p's own, so that an admitted node cannot send exits, links or Downs
    as another node's actors.  None: an exit sent from outside any actor."""
    if who is not None and who.node != p.index:
        raise ValueError("a signal from node %s names another node's %r"
                         % (p.name, who))
    return who


_HANDLERS = {
    "members": Node.on_members,
    "x": lambda node, p, r: _core._in_exit(_pid(0, r[1]), _its_own(p, r[2]),
                                           r[3]),
    "l": lambda node, p, r: _core._in_link(_pid(0, r[1]), _its_own(p, r[2])),
    "ul": lambda node, p, r: _core._in_unlink(_pid(0, r[1]),
                                              _its_own(p, r[2])),
    "mon": lambda node, p, r: _core._in_monitor(_pid(0, r[1]),
                                                _its_own(p, r[2]), r[3]),
    "dm": lambda node, p, r: _core._in_demonitor(_pid(0, r[1]),
                                                 _its_own(p, r[2])),
    "d": lambda node, p, r: _core._in_down(_pid(0, r[1]), r[2],
                                           _its_own(p, r[3]), r[4]),
    "ac": lambda node, p, r: _core._in_ask_probe(p.index, r),
    "spawn": Node.on_spawn,
    "spawned": Node.on_spawned,
    "reg": Node.on_reg,
    "unreg": Node.on_unreg,
    "bye": Node.on_bye,
    "bye_ack": Node.on_bye_ack,
    "gap": Node.on_gap,
    _transport.UNDECODABLE: Node.on_undecodable,
}


def _record_name(kind, a, b):
    """What an undecodable record was, for the log."""
    if type(kind) is int:
        return "a message for actor %d" % kind
    if kind == "q":
        return "an ask of actor %r by actor %r" % (a, b)
    if kind == "r":
        return "the reply to actor %r" % (a,)
    return "a %r record" % (kind,)


def _unpicklable(rec, err):
    log.error("actors cluster: dropped a record that cannot be sent "
              "(%s): %.200r", err, rec)


def _sending_error(what, err):
    """The exception a waiter gets for a record that could not be sent:
    ValueError for one too big (max_msg_size), TypeError for one the
    serializer refused; plain types, so that it crosses either codec."""
    cls = ValueError if isinstance(err, ValueError) else TypeError
    return cls("%s: %s: %s" % (what, type(err).__name__, err))


def _msgpack_portable(node, reason):
    if reason is None or isinstance(reason, (str, int)):
        return reason
    if isinstance(reason, BaseException):
        return _transport.exception_pair(reason)
    try:
        node.codec.dumps(reason)
        return reason
    except Exception:
        return repr(reason)


def _portable(reason):
    """An exit reason that pickles (exceptions that do not become repr)."""
    if reason is None or isinstance(reason, (str, int)):
        return reason
    try:
        pickle.loads(pickle.dumps(reason, pickle.HIGHEST_PROTOCOL))
        return reason
    except Exception:
        return repr(reason)


def _function_ref(fn):
    mod = getattr(fn, "__module__", None)
    qual = getattr(fn, "__qualname__", None)
    if not mod or not qual or "<" in qual:
        raise TypeError("spawn(node=...) needs an importable module-level "
                        "function or Actor class, not %r" % (fn,))
    if mod == "__main__":
        raise TypeError("spawn(node=...): %s is defined in __main__, which "
                        "other nodes cannot import" % qual)
    return mod, qual


def _monitor_for(watcher, pid):
    """A monitor of pid whose Down goes to watcher (another local actor):
    the core only monitors for the caller, so the flusher is asked."""
    ref = actors.monitor(pid) if actors.self() == watcher else None
    if ref is None:
        # From another actor: register through the core's remote entry,
        # which records watcher as a watcher of pid.
        ref = _core.Ref()
        _core._in_monitor(pid, watcher, ref)
    return ref


# -- the node's actors --------------------------------------------------------

def _ticker_main(node):
    """The node's clock: heartbeats, failure detection, gossip, seeds."""
    while True:
        now = _monotonic()
        if now >= node.next_tick:
            try:
                node.tick(now)
            except _core._ExitSignal:
                raise
            except Exception:
                log.exception("node %s: error in the tick", node.name)
        actors.sleep(max(0.0, node.next_tick - _monotonic()))


def _flusher_main(node):
    Down = _core.Down
    while True:
        msg = actors.receive()
        if msg is None:
            node.kicked = False
            try:
                node.flush_all()
            except Exception:
                log.exception("node %s: error flushing", node.name)
        elif type(msg) is Down:
            name = node.name_refs.pop(msg.ref, None)
            if name is not None and node.owned_names.get(name) == msg.pid:
                node.drop_name(name, msg.pid)


def _zap_main(node):
    sock = node.zap
    fd = sock.getsockopt(zmq.FD)
    while True:
        while sock.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            reply = node.sec.zap_reply(frames)
            if reply is None:
                reply = [b"1.0", frames[1] if len(frames) > 1 else b"",
                         b"400", b"bad request", b"", b""]
            sock.send_multipart(reply, zmq.NOBLOCK)
        if sock.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            continue
        actors.wait_readable(fd)


# -- entry point and public helpers -------------------------------------------

def run_node(config, main, args=(), kwargs=None):
    """The root actor of a node: start it, run main(*args, **kwargs), stop
    gracefully, return main's result (or raise its exception)."""
    global _node
    if _node is not None:
        raise NodeStartError("this process already runs node %r"
                             % _node.name)
    if not isinstance(config, NodeConfig):
        raise TypeError("node= takes a NodeConfig")
    node = Node(config)
    stopper = _interrupt.install(node)
    # Current from the start on: peers may spawn here while this node is
    # still joining, and what they spawn asks node_name() and nodes().
    _node = node
    try:
        try:
            node.start()
        except BaseException:
            _node = None
            if stopper is not None:
                stopper.close()
            raise
        try:
            return main(*args, **(kwargs or {}))
        finally:
            try:
                node.stop()
            finally:
                _node = None
                if stopper is not None:
                    stopper.close()
    except _core._ExitSignal:
        if stopper is not None and stopper.fired:
            raise KeyboardInterrupt from None     # Ctrl-C: run() raises it
        raise


def _current():
    if _node is None:
        raise actors.ActorError("this process runs no cluster node")
    return _node


def node_name():
    """This node's name, or None outside a cluster node."""
    return None if _node is None else _node.name


def nodes():
    """Names of the nodes this one is connected to."""
    return [] if _node is None else sorted(_node.peers)


def monitor_node(name):
    """The calling actor gets NodeDown(name, reason) when node name goes
    down (at once if it is not connected)."""
    node = _current()
    me = actors.self()
    if name not in node.peers:
        actors.send(me, NodeDown(name, "noconnection"))
        return
    node.node_watchers.setdefault(name, []).append(me)


def demonitor_node(name):
    node = _current()
    me = actors.self()
    ws = node.node_watchers.get(name)
    if ws and me in ws:
        ws.remove(me)


def register_cluster(name, pid):
    """Register pid under name on every node of the cluster; the name goes
    when the actor ends or its node goes down."""
    if not isinstance(name, str):
        raise TypeError("names are strings")
    node = _current()
    names = _core._cluster_names()
    holder = names.get(name)
    if holder is not None and holder != pid and \
            (holder.node != 0 or holder.alive):
        raise actors.NameTakenError("%r is registered to %r" % (name, holder))
    if pid.node == 0:
        if not pid.alive:
            raise actors.ActorDeadError("%r is not alive" % (pid,))
        names[name] = pid
        if name not in node.owned_names:
            node.owned_names[name] = pid
            node.name_refs[_monitor_for(node.flusher, pid)] = name
    elif pid.node not in node.by_index:
        raise actors.ActorDeadError("%r: its node is not connected" % (pid,))
    else:
        names[name] = pid
    for p in list(node.peers.values()):
        node.queue(p, ("reg", name, pid))


def unregister_cluster(name):
    node = _current()
    pid = _core._cluster_names().get(name)
    if pid is None:
        raise actors.ActorError("%r is not registered" % (name,))
    node.owned_names.pop(name, None)
    node.drop_name(name, pid)


def whereis_cluster(name):
    """The Pid registered cluster-wide as name, or None."""
    return _core._cluster_names().get(name)


def node_stats():
    """Counters of this node: peers, queued records, bad frames (dropped
    and counted), undecodable records (delivered around, counted), late
    records (from peers declared down), sequence gaps (peers declared down
    because batches of theirs were lost), refused connections (handshakes
    libzmq refused: no CURVE, wrong key...), dropped connections (peers
    declared down at once because their connection closed), the seeds'
    addresses now, and whether the node is ready (joined)."""
    node = _current()
    return {"name": node.name, "incarnation": node.inc, "address": node.addr,
            "peers": {p.name: {"incarnation": p.inc, "bad_frames": p.bad,
                               "queued": len(p.out) + len(p.pending),
                               "undecodable_records": p.undecodable,
                               "load": p.load,
                               "frames_in": p.frames_in,
                               "bytes_in": p.bytes_in,
                               "frames_out": p.frames_out,
                               "bytes_out": p.bytes_out}
                      for p in node.peers.values()},
            "bad_frames_unknown": node.bad_unknown,
            "undecodable_records": node.undecodable,
            "sequence_gaps": node.gaps,
            "dropped_connections": node.dropped,
            "seeds": list(node.seed_list),
            "looking_for": sorted(node.lost),   # peers lost, looked for
            "ready": node.ready(),
            "late_records": node.late,    # frames, dropped undecoded
            "refused_connections": node.refused,
            "bad_frames": node.bad_total}
