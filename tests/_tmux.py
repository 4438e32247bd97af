"""A terminal program under tmux for the suite: a tmux server of its own
(its own socket), one session "top", keys sent and the pane read back."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import _in_ci


def tmux_exe():
    exe = shutil.which("tmux")
    if exe is None:
        msg = "tmux is not installed (Debian package tmux)"
        if _in_ci():
            pytest.fail(msg)
        pytest.skip(msg)
    return exe


class Tmux:
    def __init__(self, label, **env):
        self.exe = tmux_exe()
        self.sock = "actors-%s-%d" % (label, os.getpid())
        self.env = dict(os.environ, TERM="xterm-256color", **env)
        self.env.pop("TMUX", None)

    def run(self, *args):
        return subprocess.run([self.exe, "-L", self.sock] + list(args),
                              env=self.env, capture_output=True, text=True,
                              timeout=20)

    def start(self, cmd):
        r = self.run("new-session", "-d", "-s", "top", "-x", "160", "-y",
                     "45", cmd)
        assert r.returncode == 0, r.stderr

    def keys(self, *keys):
        self.run("send-keys", "-t", "top", *keys)

    def screen(self):
        return self.run("capture-pane", "-p", "-t", "top").stdout

    def wait_for(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.1)
        raise AssertionError("%r never appeared:\n%s" % (text, self.screen()))

    def quit(self, key="q"):
        """Send key and wait for the program (and its session) to end."""
        self.keys(key)
        deadline = time.monotonic() + 10
        while self.run("has-session", "-t", "top").returncode == 0:
            assert time.monotonic() < deadline, "%r did not quit" % key
            time.sleep(0.1)

    def close(self):
        self.run("kill-server")
