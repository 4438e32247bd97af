"""Every program in examples/ runs green: each as its one command, in a
subprocess (with the backend this session tests), bounded in time."""
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
TIMEOUT = 120


def run_example(name, *args, tmp_path):
    r = subprocess.run([sys.executable, str(EXAMPLES / name), *args],
                       cwd=str(tmp_path), capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_every_example_is_run_here():
    tested = set(re.findall(r'"(\w+\.py)"', pathlib.Path(__file__).read_text()))
    assert {p.name for p in EXAMPLES.glob("*.py")} <= tested


def test_greenlet_dropin(tmp_path):
    out = run_example("greenlet_dropin.py", tmp_path=tmp_path)
    assert out == "ACTORS RUN GREENLET CODE <closed>\n"


def test_bank(tmp_path):
    out = run_example("bank.py", tmp_path=tmp_path).splitlines()
    assert out == [
        "alice deposits 25: 125",
        "alice withdraws 100: 25",
        "bob overdraws: bob has 50, asked for 500",
        "bob still there: 50",
        "audit: no answer within 0.1 s",
        "alice's account crashed: RuntimeError('account alice crashed')",
        "alice restarted with 100",
        "north restarts: 1",
        "bank restarts: 0",
    ]


def test_crawler(tmp_path):
    out = run_example("crawler.py", "--pages", "500", "--workers", "4",
                      tmp_path=tmp_path)
    m = re.match(r"crawled (\d+) pages with 4 workers; (\d+) fetches crashed "
                 r"a worker, the supervisor restarted (\d+)$", out.strip())
    assert m, out
    pages, crashes, restarts = map(int, m.groups())
    # (the example itself checks each reachable page came exactly once)
    assert pages > 100 and crashes > 0 and restarts == crashes


class Client:
    def __init__(self, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("r", encoding="utf-8")
        assert self.line().startswith("welcome guest-")
        self.say("/nick " + nick)
        assert self.line() == "* you are " + nick

    def say(self, text):
        self.sock.sendall((text + "\n").encode())

    def line(self):
        return self.file.readline().rstrip("\n")

    def close(self):
        self.file.close()
        self.sock.close()


def test_chat_server(tmp_path):
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "chat_server.py"), "--port", "0"],
        cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    clients = []
    try:
        first = server.stdout.readline()
        m = re.match(r"listening on 127\.0\.0\.1:(\d+)$", first.strip())
        assert m, first + server.stderr.read()
        port = int(m.group(1))
        ann, bob, cat = (Client(port, n) for n in ("ann", "bob", "cat"))
        clients += [ann, bob, cat]
        ann.say("/join lobby")
        assert ann.line() == "* you joined lobby: ann"
        bob.say("/join lobby")
        assert bob.line() == "* you joined lobby: ann, bob"
        assert ann.line() == "* bob joined lobby"
        cat.say("/join kitchen")
        assert cat.line() == "* you joined kitchen: cat"
        ann.say("hello")
        assert bob.line() == "ann: hello"
        cat.say("anyone?")                # nobody else in the kitchen
        cat.say("/join lobby")            # cat never saw ann's hello
        assert cat.line() == "* you joined lobby: ann, bob, cat"
        assert ann.line() == bob.line() == "* cat joined lobby"
        bob.close()                       # the rooms actor's monitor fires
        assert ann.line() == "* bob left lobby"
        assert cat.line() == "* bob left lobby"
        cat.say("/quit")
        assert cat.file.readline() == ""  # the server closed it
        assert ann.line() == "* cat left lobby"
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
        assert server.returncode == 0, err
        assert out == "stopped\n"
    finally:
        for c in clients:
            c.close()
        if server.poll() is None:
            server.kill()
            server.communicate()


def test_mapreduce_survives_a_node_failure(tmp_path):
    out = run_example("mapreduce.py", "--words", "12000", tmp_path=tmp_path)
    lines = out.splitlines()
    m = re.match(r"12000 words counted on 3 nodes, (\d+) chunks counted "
                 r"again after a node failure$", lines[0])
    assert m, out
    assert int(m.group(1)) > 0            # w2 was killed with work on it
    assert lines[1].split() == ["3222", "actor"], out


def test_mapreduce_without_failure(tmp_path):
    out = run_example("mapreduce.py", "--words", "3000", "--no-failure",
                      tmp_path=tmp_path)
    assert out.startswith("3000 words counted on 3 nodes, 0 chunks counted "
                          "again"), out
