"""Property-based test of the local runtime against a small model.

Hypothesis drives a System (a scheduler in another thread) from this
thread: puppet actors ("agents") obey commands to send, selectively
receive with a timeout, monitor, link, trap exits, spawn agents and stop
(normally or by crashing), while this thread also sends to them directly.
The model says what each agent must see:

- between a pair (agent to agent, or this thread to an agent) messages
  arrive in the order sent, none lost, none twice;
- every monitor fires exactly one Down, every link to a trapping agent
  exactly one Exit, and a crash kills the non-trapping agents linked to it
  (transitively), a normal exit none.
"""
import queue
import threading

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize,
                                 invariant, precondition, rule)

import actors

WAIT = 10.0               # seconds any one step may take (a hang fails)


class Crash(Exception):
    """How an agent crashes when told to."""


def agent(ctl, idx):
    """Obeys ("cmd", seq, op, arg) messages, reporting (seq, result) on
    the queue ctl; leaves everything else in its mailbox until told."""
    def is_cmd(m):
        return type(m) is tuple and len(m) == 4 and m[0] == "cmd"

    def is_signal(m):
        return isinstance(m, (actors.Down, actors.Exit))

    while True:
        _, seq, op, arg = actors.receive(is_cmd)
        result = None
        if op == "send":
            target, n = arg
            actors.send(target, ("data", idx, n))
        elif op == "recv":
            src, timeout = arg
            m = actors.receive(lambda m: type(m) is tuple and len(m) == 3
                               and m[0] == "data" and m[1] == src,
                               timeout=timeout, default=None)
            result = None if m is None else m[2]
        elif op == "monitor":
            result = actors.monitor(arg)
        elif op == "link":
            actors.link(arg)
        elif op == "trap":
            actors.trap_exits(arg)
        elif op == "exit":
            actors.exit(*arg)
        elif op == "drain":
            result = []
            while True:
                m = actors.receive(is_signal, timeout=0, default=None)
                if m is None:
                    break
                result.append(m)
        elif op == "spawn":
            result = actors.spawn(agent, ctl, arg)
        elif op == "stop":
            ctl.put((seq, None))
            if arg == "normal":
                return
            raise Crash("agent %d crashed" % idx)
        ctl.put((seq, result))


class Agent:
    def __init__(self, idx, pid):
        self.idx = idx
        self.pid = pid
        self.alive = True
        self.trapping = False
        self.downs = {}           # monitor ref -> reason_key expected
        self.exits = []           # [(sender pid id or None, reason_key)]


def reason_key(reason):
    """What the model knows of an exit reason: a Crash is "crash"."""
    return "crash" if isinstance(reason, Crash) else reason


class RuntimeModel(RuleBasedStateMachine):

    @initialize(data=st.data(), n=st.integers(2, 5))
    def start(self, data, n):
        self.system = actors.System("model").start()
        self.ctl = queue.Queue()
        self.seq = 0
        self.agents = []
        self.pending = {}          # (src idx or "ext", dst idx) -> [n...]
        self.counter = 0
        self.monitors = []         # (watcher, target, ref)
        self.links = set()         # frozenset({a, b}) of agent idx
        for _ in range(n):
            self.spawn_from_here()
        # a dense start (trapping agents, links, monitors), so that the
        # rules' exits cascade and signal often
        for a in self.agents:
            if data.draw(st.booleans()):
                self.do_trap(a, True)
        pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
        for i, j in data.draw(st.lists(pairs, max_size=2 * n)):
            self.do_link(self.agents[i], self.agents[j])
        for i, j in data.draw(st.lists(pairs, max_size=2 * n)):
            self.do_monitor(self.agents[i], self.agents[j])

    def teardown(self):
        system = getattr(self, "system", None)
        if system is not None:
            system.stop()

    # -- plumbing ---------------------------------------------------------

    def command(self, a, op, arg=None):
        self.seq += 1
        seq = self.seq
        actors.send(a.pid, ("cmd", seq, op, arg))
        try:
            got_seq, result = self.ctl.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError("agent %d did not answer %r within %s s "
                                 "(alive: %s)" % (a.idx, op, WAIT,
                                                  a.pid.alive))
        assert got_seq == seq, (got_seq, seq, op)
        return result

    def living(self):
        return [a for a in self.agents if a.alive]

    def add(self, pid):
        a = Agent(len(self.agents), pid)
        self.agents.append(a)
        return a

    def die(self, a, how):
        """The model's exit of a: monitors fire, links carry the signal."""
        a.alive = False
        for w, t, ref in self.monitors:
            if t is a and w.alive:
                w.downs[ref] = how
        self.monitors = [m for m in self.monitors if m[1] is not a]
        for pair in [p for p in self.links if a.idx in p]:
            self.links.discard(pair)
            (other,) = [self.agents[i] for i in pair if i != a.idx]
            if not other.alive:
                continue
            if other.trapping:
                other.exits.append((a.pid.id, how))
            elif how != "normal":
                self.die(other, how)

    def signal(self, b, sender, reason):
        """The model of exit(b, reason) from sender (an Agent or None)."""
        if not b.alive:
            return
        if reason == "kill":
            self.die(b, "killed")
        elif b.trapping:
            b.exits.append((None if sender is None else sender.pid.id,
                            reason))
        elif reason != "normal":
            self.die(b, reason)

    def wait_dead(self):
        """Deaths the model expects happen (a linked agent dies when the
        scheduler runs it next); the others stay alive."""
        import time
        deadline = time.monotonic() + WAIT
        for a in self.agents:
            while not a.alive and a.pid.alive:
                assert time.monotonic() < deadline, \
                    "agent %d should have died" % a.idx
                time.sleep(0.001)
        for a in self.agents:
            assert a.pid.alive == a.alive, (a.idx, a.alive)

    # -- rules --------------------------------------------------------------

    def spawn_from_here(self):
        idx = len(self.agents)
        self.add(self.system.spawn(agent, self.ctl, idx))

    @precondition(lambda self: len(self.agents) < 8)
    @rule()
    def spawn_here(self):
        self.spawn_from_here()

    @precondition(lambda self: len(self.agents) < 8 and self.living())
    @rule(data=st.data())
    def spawn_by_agent(self, data):
        a = data.draw(st.sampled_from(self.living()))
        pid = self.command(a, "spawn", len(self.agents))
        self.add(pid)

    @precondition(lambda self: self.living())
    @rule(data=st.data(), k=st.integers(1, 4))
    def send(self, data, k):
        a = data.draw(st.sampled_from(self.agents))
        b = data.draw(st.sampled_from(self.agents))
        if not a.alive:
            return
        for _ in range(k):
            self.counter += 1
            self.command(a, "send", (b.pid, self.counter))
            if b.alive:
                self.pending.setdefault((a.idx, b.idx), []).append(
                    self.counter)

    @rule(data=st.data(), k=st.integers(1, 4))
    def send_from_this_thread(self, data, k):
        b = data.draw(st.sampled_from(self.agents))
        for _ in range(k):
            self.counter += 1
            actors.send(b.pid, ("data", "ext", self.counter))
            if b.alive:
                self.pending.setdefault(("ext", b.idx), []).append(
                    self.counter)

    @precondition(lambda self: self.living())
    @rule(data=st.data(), timeout=st.sampled_from([0, 0.001, 0.01]))
    def receive(self, data, timeout):
        b = data.draw(st.sampled_from(self.living()))
        srcs = ["ext"] + [a.idx for a in self.agents]
        src = data.draw(st.sampled_from(srcs))
        if src == "ext":
            # this thread's sends cross into the System's thread: give
            # them the time to (at most WAIT) before calling one lost
            timeout = WAIT if self.pending.get((src, b.idx)) else timeout
        got = self.command(b, "recv", (src, timeout))
        want = self.pending.get((src, b.idx))
        if want:
            assert got == want[0], ("%s -> %d: got %r, expected %r next "
                                    "(lost, duplicated or reordered)"
                                    % (src, b.idx, got, want[0]))
            want.pop(0)
        else:
            assert got is None, ("%s -> %d: got %r, sent nothing more"
                                 % (src, b.idx, got))

    def do_monitor(self, w, t):
        ref = self.command(w, "monitor", t.pid)
        if t.alive:
            self.monitors.append((w, t, ref))
        else:
            w.downs[ref] = "noproc"

    def do_link(self, a, b):
        if a is b or not (a.alive and b.alive):
            return
        self.command(a, "link", b.pid)
        self.links.add(frozenset((a.idx, b.idx)))

    def do_trap(self, a, flag):
        self.command(a, "trap", flag)
        a.trapping = flag

    @precondition(lambda self: self.living())
    @rule(data=st.data())
    def monitor(self, data):
        w = data.draw(st.sampled_from(self.living()))
        self.do_monitor(w, data.draw(st.sampled_from(self.agents)))

    @precondition(lambda self: len(self.living()) >= 2)
    @rule(data=st.data())
    def link(self, data):
        a = data.draw(st.sampled_from(self.living()))
        self.do_link(a, data.draw(st.sampled_from(self.living())))

    @precondition(lambda self: self.living())
    @rule(data=st.data(), flag=st.booleans())
    def trap_exits(self, data, flag):
        self.do_trap(data.draw(st.sampled_from(self.living())), flag)

    @precondition(lambda self: self.living())
    @rule(data=st.data(), how=st.sampled_from(["normal", "crash"]))
    def stop(self, data, how):
        a = data.draw(st.sampled_from(self.living()))
        self.command(a, "stop", how)
        self.die(a, how)
        self.forget_the_dead()

    @precondition(lambda self: self.living())
    @rule(data=st.data(), reason=st.sampled_from(["normal", "kill", "bye"]),
          from_here=st.booleans())
    def exit_signal(self, data, reason, from_here):
        b = data.draw(st.sampled_from(self.agents))
        if from_here:
            a = None
            actors.exit(b.pid, reason)
        else:
            a = data.draw(st.sampled_from(self.living()))
            if a is b:
                return                    # exit(self(), ...) ends a itself
            self.command(a, "exit", (b.pid, reason))
        self.signal(b, a, reason)
        self.forget_the_dead()

    def forget_the_dead(self):
        self.wait_dead()
        for key in [k for k in self.pending
                    if not self.agents[k[1]].alive]:
            del self.pending[key]          # its mailbox went with it

    @precondition(lambda self: self.living())
    @rule(data=st.data())
    def drain_signals(self, data):
        a = data.draw(st.sampled_from(self.living()))
        self.check_signals(a)

    def check_signals(self, a):
        got = self.command(a, "drain")
        downs = {}
        exits = []
        for m in got:
            if isinstance(m, actors.Down):
                assert m.ref not in downs, "Down %r delivered twice" % (m,)
                downs[m.ref] = m
            else:
                exits.append(m)
        assert set(downs) == set(a.downs), (
            "agent %d: Downs %r, expected refs %r" % (a.idx, got, a.downs))
        for ref, how in a.downs.items():
            assert reason_key(downs[ref].reason) == how, (downs[ref], how)
        key = lambda e: (e[0] is not None, e[0] or 0, str(e[1]))
        assert sorted([(None if e.pid is None else e.pid.id,
                        reason_key(e.reason)) for e in exits], key=key) == \
            sorted(a.exits, key=key), (
                "agent %d: Exits %r, expected %r" % (a.idx, exits, a.exits))
        a.downs = {}
        a.exits = []

    @invariant()
    def no_agent_died_unexpectedly(self):
        for a in getattr(self, "agents", ()):
            if a.alive:
                assert a.pid.alive, "agent %d died, the model says alive" \
                    % a.idx


RuntimeModel.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.filter_too_much])
test_runtime_model = RuntimeModel.TestCase
