"""The blocking watchdog: a thread that notices an actor holding its
scheduler too long (a CPU-bound loop, a blocking call) and logs where it
is, as gevent's blocking monitor does.

It reads each scheduler's tick (actors resumed so far, counted by the
loop) every threshold/4 seconds: a tick that has not moved while an actor
is current means that actor has run all that time.  It needs the GIL to
look, which a Python loop lets go of every switch interval (5 ms); an
actor stuck in C code holding the GIL is reported once it lets go."""
import logging
import sys
import threading
import time
import traceback

from actors._backend import core as _core

log = logging.getLogger("actors.watchdog")


class Watchdog:
    """A running watchdog; stop() ends it.  on_block(pid, seconds, stack)
    is called (in the watchdog's thread) for each report, after the log
    line; stack is a traceback.StackSummary."""

    def __init__(self, threshold=1.0, on_block=None):
        if isinstance(threshold, bool) or \
                not isinstance(threshold, (int, float)):
            raise TypeError("threshold is a number of seconds")
        if not 0 < threshold < float("inf"):
            raise ValueError("threshold must be > 0 and finite, not %r"
                             % (threshold,))
        if on_block is not None and not callable(on_block):
            raise TypeError("on_block must be callable")
        self.threshold = float(threshold)
        self.on_block = on_block
        self.reports = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="actors-watchdog")
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        seen = {}                         # thread -> (ticks, pid, since, told)
        period = self.threshold / 4
        while not self._stop.wait(period):
            t = time.monotonic()
            current = {}
            for s in _core._schedulers():
                key = s["thread"]
                pid = s["current"]
                last = seen.get(key)
                if pid is None or last is None or last[0] != s["ticks"] \
                        or last[1] != pid:
                    current[key] = (s["ticks"], pid, t, False)
                    continue
                held = t - last[2]
                told = last[3]
                if held >= self.threshold and not told:
                    self._report(pid, key, held)
                    told = True
                current[key] = (last[0], pid, last[2], told)
            seen = current

    def _report(self, pid, thread, held):
        frame = sys._current_frames().get(thread)
        summary = traceback.StackSummary.extract(
            traceback.walk_stack(frame)) if frame is not None else \
            traceback.StackSummary()
        summary.reverse()
        self.reports += 1
        log.warning("actors: %r has held its scheduler (thread %d) for "
                    "%.2f s without yielding; it is at:\n%s", pid, thread,
                    held, "".join(summary.format()))
        if self.on_block is not None:
            try:
                self.on_block(pid, held, summary)
            except Exception:
                log.exception("actors: error in the watchdog's on_block")


def watchdog(threshold=1.0, on_block=None):
    """Start a watchdog thread that logs (logger 'actors.watchdog') the
    stack of any actor holding its scheduler longer than threshold seconds
    without yielding.  Returns a Watchdog (stop() it, or use it in a with
    block)."""
    return Watchdog(threshold, on_block)
