"""An actor system running in a background thread."""
import threading
import time

from actors._backend import core as _core


class System:
    """Owns a scheduler in a thread of its own.

        with actors.System() as system:
            pid = system.spawn(worker)
            actors.ask(pid, "hello")      # from this (or any) thread

    actors.send and actors.ask work from any thread; spawn from outside the
    system's thread goes through System.spawn."""

    def __init__(self, name="actors"):
        self._name = name
        self._sched = None
        self._thread = None
        self._ready = threading.Event()
        self._error = None

    def start(self):
        if self._thread is not None:
            raise _core.ActorError("this System was started already")
        self._thread = threading.Thread(target=self._serve, name=self._name,
                                        daemon=True)
        self._thread.start()
        while not self._ready.wait(1.0):  # bounded: a thread that died early
            if not self._thread.is_alive() and not self._ready.is_set():
                raise _core.ActorError("the System's thread ended at start")
        if self._error is not None:
            raise self._error
        return self

    def _serve(self):
        try:
            _core._serve(self._on_ready)
        except BaseException as e:  # reported to start() or stop()
            self._error = e
            self._ready.set()

    def _on_ready(self, sched):
        self._sched = sched
        self._ready.set()

    def spawn(self, fn, *args, **kwargs):
        """Start an actor in this system (from any thread); its Pid."""
        if self._sched is None or not self._thread.is_alive():
            if self._error is not None:
                raise _core.ActorError("the System is not running: it "
                                       "stopped with %r" % (self._error,))
            raise _core.ActorError("the System is not running")
        if threading.current_thread() is self._thread:
            return _core.spawn(fn, *args, **kwargs)
        return _core._spawn_in(self._sched, fn, args, kwargs)

    def stop(self, timeout=10.0):
        """Shut every actor down (reason 'shutdown') and end the thread
        (waiting up to timeout seconds, None: no limit).  If an actor ended
        the system with sys.exit() or KeyboardInterrupt, that exception is
        raised here, as actors.run() would raise it."""
        timeout = _core._check_seconds(timeout)
        if self._thread is None:
            return
        if self._sched is not None and self._thread.is_alive():
            _core._stop(self._sched)
        _join(self._thread, timeout)
        if self._thread.is_alive():
            raise _core.Timeout("the System did not stop within %s s" % timeout)
        if self._error is not None:
            raise self._error

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _join(thread, timeout):
    """thread.join(timeout) for any timeout (None: forever): a lock refuses
    waits longer than threading.TIMEOUT_MAX."""
    if timeout is None:
        thread.join()
        return
    deadline = time.monotonic() + timeout
    while thread.is_alive():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        thread.join(min(left, 86400.0))
