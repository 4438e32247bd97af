"""actors.trace(): report sends, receives, spawns, exits and links of
chosen actors to a callback or an actor, bounded by a count or a rate (as
recon_trace bounds tracing a production node), and stopping itself once
either is reached.  Off by default: the hot paths then test one C int."""
import math
import threading

from actors._backend import core as _core

Pid = _core.Pid
TraceEvent = _core.TraceEvent
EVENTS = ("send", "receive", "spawn", "exit", "link")


class Trace:
    """The running trace: stop() ends it; stopped tells whether it has
    ended and why ('count', 'rate', 'stopped', 'replaced', 'error',
    'sink ended')."""

    def __init__(self):
        self.why = None
        self._done = threading.Event()

    def _finished(self, why):
        self.why = why
        self._done.set()

    @property
    def stopped(self):
        return self.why

    def stop(self):
        if self.why is None:
            _core._trace_stop()

    def wait(self, timeout=None):
        """Wait (outside the traced scheduler's thread) until it stops."""
        return self._done.wait(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def trace(pids=None, to=None, events=EVENTS, new=False, limit=100,
          rate=None):
    """Trace the actors pids (a Pid, a registered name or an iterable of
    them; None with new=True: only actors spawned from now on), and with
    new=True every actor spawned while it runs.  events: which of 'send',
    'receive' (a message arriving in the mailbox), 'spawn', 'exit', 'link'.
    Each event, a TraceEvent(kind, pid, other, msg, time), goes to `to`: a
    callable run where the event happens (it must not block), or a Pid
    sent it.  It stops after limit events, or (rate=(n, seconds)) as soon as
    more than n come within seconds.  A new trace replaces the running one.
    Returns a Trace."""
    if to is None:
        raise TypeError("trace() needs to=: a callable or a Pid")
    if type(to) is not Pid and not callable(to):
        raise TypeError("to is a callable or a Pid, not %r" % (to,))
    if isinstance(events, str):
        events = (events,)
    bits = _core._trace_bits()
    flags = 0
    for e in events:
        if e not in EVENTS:
            raise ValueError("unknown trace event %r (one of %s)"
                             % (e, ", ".join(EVENTS)))
        flags |= bits[e]
    if not flags:
        raise ValueError("trace() needs at least one event")
    if new:
        flags |= bits["new"]
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError("limit is an int")
    if limit <= 0:
        raise ValueError("limit must be > 0")
    rate_n, window = 0, 0.0
    if rate is not None:
        try:
            rate_n, window = rate
        except (TypeError, ValueError):
            raise TypeError("rate is (count, seconds)") from None
        if isinstance(rate_n, bool) or not isinstance(rate_n, int) or \
                rate_n <= 0:
            raise ValueError("rate's count must be an int > 0")
        window = float(window)
        if not (window > 0 and math.isfinite(window)):
            raise ValueError("rate's seconds must be > 0 and finite")
    if pids is None:
        if not new:
            raise ValueError("trace() needs pids, or new=True")
        targets = []
    elif type(pids) is Pid or isinstance(pids, str):
        targets = [pids]
    else:
        targets = list(pids)
    resolved = []
    for p in targets:
        if isinstance(p, str):
            q = _core.whereis(p)
            if q is None:
                raise ValueError("no actor is registered as %r" % (p,))
            p = q
        if type(p) is not Pid:
            raise TypeError("trace() takes Pids or registered names, not %r"
                            % (p,))
        resolved.append(p)
    t = Trace()
    _core._trace_start(resolved, flags, to, limit, rate_n, window,
                       t._finished)
    return t
