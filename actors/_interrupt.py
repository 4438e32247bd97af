"""Ctrl-C on run(main, node=...): the node's graceful stop, as the CLI's.

run() alone turns SIGINT into a shutdown of every actor; on a node that
also ended the root while Node.stop() waited for its peers' confirmations
(an exit signal thrown into the wait), so the peers saw a node vanish
and the context and port leaked.  While a node runs in the main thread,
SIGINT instead writes a byte to a pipe; an actor reading it ends main with
reason 'shutdown' (then 'kill' if main traps exits and is still running
after stop_timeout), so main's finally blocks run and Node.stop() runs
unhurried; run() then raises KeyboardInterrupt.  A second Ctrl-C more
than 0.5 s later ends the process at once (exit status 130), as the CLI
does.
"""
from __future__ import annotations

import os
import signal
import threading
import time

import actors
from actors._backend import core as _core


class SigintStop:
    """Installed by install(); fired is True once SIGINT arrived."""

    def __init__(self, node, root):
        self.node = node
        self.root = root
        self.fired = False
        self.first = None
        self.rfd, self.wfd = os.pipe()
        os.set_blocking(self.rfd, False)
        os.set_blocking(self.wfd, False)
        self.previous = signal.signal(signal.SIGINT, self._handler)
        self.watcher = actors.spawn(_watch, self)

    def _handler(self, signum, frame):
        # Only a byte on the pipe: this runs between any two bytecodes.
        now = time.monotonic()
        if self.first is None:
            self.first = now
        elif now - self.first > 0.5:      # not a duplicate of the first
            os.write(2, b"actors: stopping now (Ctrl-C again)\n")
            os._exit(130)
        try:
            os.write(self.wfd, b"\x02")
        except OSError:
            pass

    def close(self):
        if self.rfd is None:
            return
        if self.watcher is not None and self.watcher.alive and \
                self.watcher != actors.self():
            actors.exit(self.watcher, "kill")
        if signal.getsignal(signal.SIGINT) == self._handler:
            signal.signal(signal.SIGINT, self.previous)
        os.close(self.rfd)
        os.close(self.wfd)
        self.rfd = self.wfd = None


def _watch(stop):
    while True:
        actors.wait_readable(stop.rfd)
        try:
            if not os.read(stop.rfd, 64):
                continue
        except BlockingIOError:
            continue
        break
    stop.fired = True
    if stop.node.stopping:
        return                            # already stopping: let it finish
    root = stop.root
    actors.exit(root, "shutdown")
    deadline = time.monotonic() + stop.node.cfg.stop_timeout
    while root.alive and not stop.node.stopping and \
            time.monotonic() < deadline:
        actors.sleep(0.05)
    if root.alive and not stop.node.stopping:
        actors.exit(root, "kill")         # main traps exits and stays


def install(node):
    """A SigintStop for the node whose root actor is the caller, when run()
    put its own SIGINT handler in place (the main thread, no handler of
    the user's); else None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    core = getattr(_core, "_core_sigint_handler", None)
    if core is None or core() is None or \
            signal.getsignal(signal.SIGINT) is not core():
        return None
    return SigintStop(node, actors.self())
