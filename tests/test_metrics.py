"""actors.metrics(), its Prometheus export, and `actors node
--metrics-port`."""
import re
import signal
import time
import urllib.request

import pytest

import actors
from actors import _metrics
from test_nodecli import START, addr, cluster, free_port  # noqa: F401


def parked():
    actors.receive()


def crash():
    raise KeyError("boom")


def test_counters_and_gauges():
    def main():
        m0 = actors.metrics()
        pids = [actors.spawn(parked) for _ in range(5)]
        full = actors.spawn(actors.sleep, 100)
        for i in range(7):
            actors.send(full, i)
        actors.spawn(crash)
        actors.sleep(0.01)
        for p in pids[:2]:
            actors.send(p, "bye")         # two normal exits
        actors.exit(pids[2], "kill")      # one 'killed'
        actors.exit(pids[3], "custom")    # one 'custom'
        def asked():
            actors.receive()
            actors.sleep(10)
        slow = actors.spawn(asked)
        with pytest.raises(actors.Timeout):
            actors.ask(slow, "?", timeout=0.05)
        actors.send(pids[0], "late")      # a dead letter: it has ended
        actors.sleep(0.01)
        m = actors.metrics()
        d = lambda k: m[k] - m0[k]
        assert d("actors_spawned") == 8
        assert m["actors_alive"] == len(actors.processes())
        assert d("messages_sent") >= 7 + 2 + 1 + 1
        assert d("messages_received") >= 3
        assert m["largest_mailbox"] == 7 and m["largest_mailbox_pid"] == full
        assert m["mailbox_messages"] >= 7
        r = m["exits_by_reason"]
        r0 = m0["exits_by_reason"]
        assert r.get("killed", 0) - r0.get("killed", 0) == 1
        assert r.get("custom", 0) - r0.get("custom", 0) == 1
        assert r.get("KeyError", 0) - r0.get("KeyError", 0) == 1
        assert r["normal"] - r0.get("normal", 0) == 2
        assert d("crashes") == 1
        assert d("exits") == 5
        assert d("dead_letters") >= 1
        assert d("ask_timeouts") == 1
        assert m["run_queue"] >= 0 and m["actors_waiting"] >= 3
        [s] = m["schedulers"]
        assert 0.0 <= s["utilisation"] <= 1.0
        assert s["switches"] > 0 and s["idle_seconds"] > 0
        assert s["busy_seconds"] > 0
        for p in actors.processes():
            if p != actors.self():
                actors.exit(p, "kill")
    actors.run(main)


def test_restarts_counted():
    def flaky():
        actors.sleep(0.01)
        raise RuntimeError("again")

    def main():
        before = actors.metrics()["restarts"]
        sup = actors.spawn_link(actors.Supervisor(
            [actors.ChildSpec(flaky, id="f")], max_restarts=100))
        actors.sleep(0.2)
        assert actors.metrics()["restarts"] - before >= 3
        actors.unlink(sup)
        actors.exit(sup, "shutdown")
    actors.run(main)


def test_prometheus_text():
    def main():
        actors.spawn(crash)
        actors.sleep(0.01)
        text = _metrics.prometheus_text().decode()
        assert "# TYPE actors_alive gauge" in text
        assert re.search(r"^actors_alive 1\.0$", text, re.M), text
        assert re.search(r'^actors_exits_total\{reason="KeyError"\} [1-9]',
                         text, re.M), text
        assert "actors_messages_sent_total" in text
        assert "actors_scheduler_utilisation{thread=" in text
    actors.run(main)


def test_serve_metrics_http():
    srv = _metrics.serve_metrics(0)
    try:
        port = srv.server_address[1]

        def main():
            pids = [actors.spawn(parked) for _ in range(3)]
            actors.sleep(0.01)
            body = urllib.request.urlopen(
                "http://127.0.0.1:%d/metrics" % port, timeout=10).read()
            assert re.search(rb"^actors_alive 4\.0$", body, re.M), body
            for p in pids:
                actors.exit(p, "kill")
        actors.run(main)
    finally:
        srv.shutdown()
    with pytest.raises(ValueError):
        _metrics.serve_metrics(70000)
    with pytest.raises(TypeError):
        _metrics.serve_metrics("80")


def test_node_metrics_port(cluster):  # noqa: F811
    pa, pb = free_port(), free_port()
    b = cluster.start("--name", "b", "--listen", addr(pb))
    a = cluster.start("--name", "a", "--listen", addr(pa), "--seed", addr(pb),
                      "--metrics-port", "0")
    line = a.wait_line(r"metrics on http://127\.0\.0\.1:\d+/metrics")
    url = re.search(r"http://\S+", line).group(0)
    a.wait_line(r"up at")
    deadline = time.monotonic() + START
    while True:
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        m = re.search(r'^actors_peer_frames_in_total\{peer="b"\} (\S+)$',
                      body, re.M)
        o = re.search(r'^actors_peer_bytes_out_total\{peer="b"\} (\S+)$',
                      body, re.M)
        if m and o and float(m.group(1)) > 0 and float(o.group(1)) > 0:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    assert re.search(r"^actors_alive [1-9]", body, re.M), body
    for n in (a, b):
        n.signal(signal.SIGTERM)
    for n in (a, b):
        assert n.wait() == 0, n.describe()


def test_node_metrics_port_bad(cluster):  # noqa: F811
    a = cluster.start("--name", "a", "--listen", addr(free_port()),
                      "--metrics-port", "99999")
    assert a.wait() == 2, a.describe()


OBSAPP = r'''
import actors

@actors.spawnable
def parked(tag):
    actors.register(tag, actors.self())
    actors.receive()

def main():
    while len(actors.nodes()) < 2:
        actors.sleep(0.05)
    for n in sorted(actors.nodes()):
        pid = actors.spawn(parked, "parked-" + n, node=n)
        actors.sleep(0.2)
        i = actors.info(pid)
        st = actors.stack(pid)
        print("info", n, i.status, i.function, i.initial, i.pid == pid,
              flush=True)
        print("stack", n, [f.name for f in st], st[-1].line, flush=True)
        actors.exit(pid, "kill")
        actors.sleep(0.2)
        print("gone", n, actors.info(pid), actors.stack(pid), flush=True)
    return 0
'''


def test_remote_info_and_stack_three_nodes(cluster):  # noqa: F811
    (cluster.path / "obsapp.py").write_text(OBSAPP)
    pa, pb, pc = free_port(), free_port(), free_port()
    b = cluster.start("--name", "b", "--listen", addr(pb), "--spawnable",
                      "obsapp")
    c = cluster.start("--name", "c", "--listen", addr(pc), "--seed",
                      addr(pb), "--spawnable", "obsapp")
    a = cluster.start("--name", "a", "--listen", addr(pa), "--seed",
                      addr(pb), "--app", "obsapp:main")
    assert a.wait(START) == 0, a.describe()
    for n in ("b", "c"):
        assert "info %s waiting in receive parked parked True\n" % n \
            in a.stdout, a.describe()
        assert "stack %s ['parked'] actors.receive()\n" % n in a.stdout, \
            a.describe()
        assert "gone %s None None\n" % n in a.stdout, a.describe()
    for n in (b, c):
        n.signal(signal.SIGTERM)
    for n in (b, c):
        assert n.wait() == 0, n.describe()


# -- the gauges are kept, not walked: each against a walk over every actor ----

def _gauges_agree(**expect):
    """metrics()'s gauges equal the same figures computed by a walk over
    every live actor (core._gauges_walk), and those given."""
    from actors._backend import core
    m = actors.metrics()
    walk = core._gauges_walk()
    got = {"largest_mailbox": m["largest_mailbox"],
           "largest_mailbox_pid": m["largest_mailbox_pid"],
           "mailbox_messages": m["mailbox_messages"],
           "runnable": m["actors_runnable"], "waiting": m["actors_waiting"],
           "alive": m["actors_alive"]}
    want = {k: walk[k] for k in got}
    if want["largest_mailbox"] == 0:
        want["largest_mailbox_pid"] = None
    assert got == want
    for k, v in expect.items():
        assert got[k] == v, (k, got)
    return m


def test_largest_mailbox_selective_receive():
    """A selective receive that leaves messages: counted while they wait,
    not once they are consumed, nor once the actor is gone."""
    from actors._backend import core

    def selective():
        actors.receive(lambda m: m == "go")          # a predicate
        for _ in range(5):
            actors.receive()
        actors.receive(lambda m: m == "end")

    def typed():
        actors.receive(str)                          # a cheap matcher
        actors.receive(lambda m: m == "end")

    def main():
        sel = actors.spawn(selective)
        typ = actors.spawn(typed)
        actors.sleep(0.01)
        _gauges_agree(largest_mailbox=0, mailbox_messages=0, waiting=2)
        for i in range(5):
            actors.send(sel, i)           # each wakes it: none matches
        for i in range(3):
            actors.send(typ, i)           # none wakes it
        actors.sleep(0.01)
        _gauges_agree(largest_mailbox=5, largest_mailbox_pid=sel,
                      mailbox_messages=8, waiting=2)
        actors.send(sel, "go")            # it takes "go", then the five
        actors.sleep(0.01)
        _gauges_agree(largest_mailbox=3, largest_mailbox_pid=typ,
                      mailbox_messages=3, waiting=2)
        assert core._mail_noted() == 1    # sel pruned by that scrape
        actors.exit(typ, "kill")          # it dies with three unread
        actors.sleep(0.01)
        assert core._mail_noted() == 0    # forgotten at its exit
        _gauges_agree(largest_mailbox=0, mailbox_messages=0, waiting=1)
        actors.send(sel, "end")
        actors.sleep(0.01)
        _gauges_agree(largest_mailbox=0, waiting=0)
    actors.run(main)


def test_gauges_sleep_ask_and_runnable():
    """Mail sent to a sleeping actor and to one waiting in ask(); actors
    spawned but not run yet (runnable) and their figures."""
    from actors._backend import core

    def asker(target):
        actors.receive()                  # "ask now"
        try:
            actors.ask(target, "?", timeout=0.2)
        except actors.Timeout:
            pass
        actors.receive(lambda m: m == "end")

    def main():
        sleeper = actors.spawn(actors.sleep, 100)
        mute = actors.spawn(actors.receive, lambda m: m == "end")
        a = actors.spawn(asker, mute)
        actors.sleep(0.01)
        for i in range(4):
            actors.send(sleeper, i)
        actors.send(a, "ask now")
        actors.sleep(0.01)                # a waits for the reply now
        for i in range(6):
            actors.send(a, i)             # not the reply: unread
        _gauges_agree(largest_mailbox=6, largest_mailbox_pid=a,
                      mailbox_messages=11, waiting=3)  # (mute has "?")
        fresh = [actors.spawn(parked) for _ in range(3)]
        actors.send(fresh[0], "x")        # runnable, with mail
        _gauges_agree(runnable=3, largest_mailbox=6, mailbox_messages=12)
        actors.sleep(0.3)                 # a's ask timed out; fresh[0]
        _gauges_agree(largest_mailbox=6, largest_mailbox_pid=a,  # ended
                      mailbox_messages=4 + 1 + 6, waiting=5)
        for p in (sleeper, mute, a) + tuple(fresh[1:]):
            actors.exit(p, "kill")
        actors.sleep(0.01)
        _gauges_agree(largest_mailbox=0, mailbox_messages=0, waiting=0)
        assert core._mail_noted() == 0
    actors.run(main)


def test_gauges_kept_through_many_actors():
    """Parked, woken, timed-out and killed actors in numbers: the kept
    waiting count and mailboxes match a walk at every step, and the saved
    stack bytes are at least the actors' own (the kept figure also counts
    the few other suspended tasklets, such as greenlets)."""
    from actors._backend import core

    def waiter(i):
        if i % 3 == 0:
            actors.receive(timeout=0.01, default=None)
        elif i % 3 == 1:
            actors.receive(lambda m: m == "never", timeout=0.05, default=None)
        actors.receive()

    def main():
        pids = [actors.spawn(waiter, i) for i in range(300)]
        _gauges_agree(runnable=300)
        actors.sleep(0.001)
        _gauges_agree()
        for p in pids[::7]:
            actors.send(p, "x")
        for p in pids[1::5]:
            actors.send(p, "y")
        _gauges_agree()
        actors.sleep(0.1)
        _gauges_agree()
        m = actors.metrics()
        if actors.BACKEND == "native":    # (greenlet's backend: always 0)
            assert m["stack_bytes"] >= core._gauges_walk()["stack_bytes"] > 0
        for p in pids:
            actors.exit(p, "kill")
        actors.sleep(0.01)
        _gauges_agree(waiting=0, mailbox_messages=0, alive=1)
    actors.run(main)


def test_scrape_reads_no_parked_actor():
    """A scrape looks at the running actor, the run queue and the actors
    noted with unread mail, not at the parked ones: 20,000 parked actors
    (two with mail left by a selective receive) cost it a few visits."""
    from actors._backend import core

    def main():
        pids = [actors.spawn(parked) for _ in range(20000)]
        picky = [actors.spawn(actors.receive, str) for _ in range(2)]
        actors.sleep(0.01)
        for p in picky:
            actors.send(p, 1)
            actors.send(p, 2)
        g = core._gauges()
        assert g["visited"] <= 5, g
        assert g["waiting"] == 20002 and g["largest_mailbox"] == 2
        assert g["mailbox_messages"] == 4
        for p in pids + picky:
            actors.exit(p, "kill")
    actors.run(main)
