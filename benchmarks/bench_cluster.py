#!/usr/bin/env python3
"""Cluster benchmarks: actors between nodes against raw pyzmq, in one run.

One command measures every figure side by side with its raw pyzmq baseline
and prints a markdown table, the ratios and PASS/MISS for the targets of
issue 4::

    python benchmarks/bench_cluster.py            # full sizes
    python benchmarks/bench_cluster.py --quick    # a smoke run

Every party is a fresh process on this machine, over tcp loopback
(127.0.0.1), so the figures include the kernel's loopback path:

throughput   one-way messages per second from one actor on node a to one
             actor on node b (messages are small ints), counted by the
             receiver from its first message to its last; next to a raw
             pyzmq DEALER -> ROUTER pair sending 16-byte messages, 100
             joined per frame and one send per message (the same counting).
             Nodes run with their default security (CURVE, cookie); the raw
             pairs run plain and with CURVE.
ask          mean round trip of actors.ask() from an actor on node a to a
             process-style echo actor on node b (receive, Request.reply),
             asked one at a time; next to a raw pyzmq DEALER -> ROUTER
             echo, one request in flight.
workers      CPU-bound jobs (a pure-Python loop) sent to cruncher actors
             on NAME.1..NAME.N started by start_workers() (what `actors node
             --workers N` does), jobs per second for N = 2 against N = 1;
             next to the same jobs on 1 and 2 raw pyzmq PUSH/PULL worker
             processes.

The machines here are shared and noisy: read the ratios, measured side by
side in one run, not the absolute figures.
"""
import argparse
import json
import os
import platform
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COOKIE = "bench-cluster-cookie"
RAW_MSG = 16                      # bytes per raw message
BATCH = 100                       # raw messages per frame, batched
TARGETS = {
    "throughput": 1000000.0,      # msgs/s, at least
    "ask": 1.5,                   # × raw round trip, at most
    "workers": 1.6,               # × one worker, at least
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def emit(result):
    """A worker's answer to the driver: one JSON line on stdout."""
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------
# Raw pyzmq parties
# --------------------------------------------------------------------------

def _curve(sock, server, keys):
    if isinstance(keys, str):
        keys = _raw_keys(keys)
    if keys is None:
        return
    pub, sec = keys
    sock.curve_secretkey = sec
    sock.curve_publickey = pub
    if server:
        sock.curve_server = True
    else:
        sock.curve_serverkey = pub


def _keys(curve):
    if not curve:
        return None
    import zmq
    return zmq.curve_keypair()


def _raw_keys(text):
    if text == "-":
        return None
    pub, sec = text.split(",")
    return pub.encode(), sec.encode()


def raw_sink(port, n, keys):
    """ROUTER: count n 16-byte messages, first to last; then answer the
    sender with the figure."""
    import zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.ROUTER)
    s.rcvhwm = 100000
    _curve(s, True, keys)
    s.bind("tcp://127.0.0.1:%d" % port)
    got = 0
    t0 = None
    ident = None
    unpack = struct.Struct("<qq").unpack
    while got < n:
        ident, frame = s.recv_multipart(copy=False)
        if t0 is None:
            t0 = time.perf_counter()
            if len(frame) == 5 and frame.bytes == b"hello":
                t0 = None
                s.send_multipart([ident.bytes, b"ready"])
                continue
        buf = frame.buffer
        for k in range(0, len(buf), RAW_MSG):
            unpack(buf[k:k + RAW_MSG])
            got += 1
    dt = time.perf_counter() - t0
    s.send_multipart([ident.bytes, json.dumps([got, dt]).encode()])
    time.sleep(0.2)
    s.close(0)
    ctx.term()


def raw_source(port, n, batch, keys):
    import zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.sndhwm = 100000
    _curve(s, False, keys)
    s.connect("tcp://127.0.0.1:%d" % port)
    s.send(b"hello")
    assert s.recv() == b"ready"
    # Each message is made (and, at the sink, cut out) one by one, as a
    # program with distinct messages would: 16 bytes, its number in it.
    pack = struct.Struct("<qq").pack
    sent = 0
    t0 = time.perf_counter()
    if batch == 1:
        send = s.send
        for i in range(n):
            send(pack(i, 0))
        sent = n
    else:
        send = s.send
        while sent < n:
            k = min(batch, n - sent)
            send(b"".join([pack(i, 0) for i in range(sent, sent + k)]))
            sent += k
    send_dt = time.perf_counter() - t0
    got, dt = json.loads(s.recv())
    total = time.perf_counter() - t0
    s.close(0)
    ctx.term()
    emit({"msgs": got, "seconds": dt, "first_to_last_rate": got / dt,
          "sender_seconds": send_dt, "rate": got / total})


def raw_echo(port, keys):
    import zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.ROUTER)
    _curve(s, True, keys)
    s.bind("tcp://127.0.0.1:%d" % port)
    while True:
        parts = s.recv_multipart()
        s.send_multipart(parts)
        if parts[-1] == b"stop":
            break
    time.sleep(0.1)
    s.close(0)
    ctx.term()


def raw_asker(port, n, keys):
    import zmq
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    _curve(s, False, keys)
    s.connect("tcp://127.0.0.1:%d" % port)
    for _ in range(200):                      # connect and warm up
        s.send(b"warm")
        s.recv()
    t0 = time.perf_counter()
    for i in range(n):
        s.send(b"q%d" % i)
        s.recv()
    dt = time.perf_counter() - t0
    s.send(b"stop")
    s.recv()
    s.close(0)
    ctx.term()
    emit({"round_trips": n, "seconds": dt, "us": dt / n * 1e6})


def crunch(work):
    """The CPU-bound job: a pure-Python loop."""
    total = 0
    for i in range(work):
        total += i * i % 7
    return total


def raw_cruncher(port_in, port_out):
    import zmq
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.connect("tcp://127.0.0.1:%d" % port_in)
    push = ctx.socket(zmq.PUSH)
    push.connect("tcp://127.0.0.1:%d" % port_out)
    while True:
        job = pull.recv()
        if job == b"stop":
            break
        push.send(str(crunch(int(job))).encode())
    push.close(1000)
    pull.close(0)
    ctx.term()


def raw_workers(n_workers, jobs, work):
    """Distribute jobs to n raw worker processes (PUSH round-robins)."""
    import zmq
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    port_in = push.bind_to_random_port("tcp://127.0.0.1")
    pull = ctx.socket(zmq.PULL)
    port_out = pull.bind_to_random_port("tcp://127.0.0.1")
    procs = [_python("raw_cruncher", port_in, port_out,
                     stdout=subprocess.DEVNULL) for _ in range(n_workers)]
    try:
        # Wait until every worker is connected: PUSH only round-robins over
        # the peers it has.
        for _ in range(n_workers):
            push.send(b"1")
        for _ in range(n_workers):
            pull.recv()
        time.sleep(0.3)
        t0 = time.perf_counter()
        for _ in range(jobs):
            push.send(str(work).encode())
        for _ in range(jobs):
            pull.recv()
        dt = time.perf_counter() - t0
        for _ in range(n_workers):
            push.send(b"stop")
        for p in procs:
            p.wait(30)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        push.close(0)
        pull.close(0)
        ctx.term()
    emit({"jobs": jobs, "seconds": dt, "rate": jobs / dt})


# --------------------------------------------------------------------------
# Actor parties (module-level, importable: spawn(node=...) needs that)
# --------------------------------------------------------------------------

def counter(n, report_to):
    """On node b: receive n messages, report (n, seconds first to last)."""
    import actors
    receive = actors.receive
    receive()
    t0 = time.perf_counter()
    for _ in range(n - 1):
        receive()
    actors.send(report_to, ("counted", n, time.perf_counter() - t0))


def cruncher(boss):
    import actors
    while True:
        msg = actors.receive()
        if msg is None:
            return
        actors.send(boss, crunch(msg))


def echo(first):
    """On node b: a process-style echo, replying to each Request."""
    import actors
    while True:
        req = actors.receive()
        req.reply(req.msg)


def _node_config(name, port, seeds=(), security="cookie"):
    from actors import NodeConfig
    return NodeConfig(name=name, listen="tcp://127.0.0.1:%d" % port,
                      seeds=tuple("tcp://127.0.0.1:%d" % p for p in seeds),
                      cookie=COOKIE, security=security,
                      # what node a runs on node b (remote spawn is refused
                      # for anything a node does not allow)
                      spawnable=("bench_cluster:counter",
                                 "bench_cluster:cruncher",
                                 "bench_cluster:echo"))


def node_b(port, security):
    """Node b: serves until SIGTERM."""
    from actors._nodecli import run_node_until_stopped
    sys.exit(run_node_until_stopped(_node_config("b", port,
                                                 security=security),
                                    quiet=True))


def _run_a(port, b_port, security, main, *args):
    import actors
    return actors.run(main, *args, node=_node_config("a", port, [b_port],
                                                     security))


def _wait_for(name, timeout=10.0):
    import actors
    deadline = time.monotonic() + timeout
    while name not in actors.nodes():
        if time.monotonic() > deadline:
            raise RuntimeError("node %s did not join" % name)
        actors.sleep(0.01)


def node_a_throughput(port, b_port, security, n):
    import actors

    def main():
        _wait_for("b")
        me = actors.self()
        pid = actors.spawn(counter, n, me, node="b")
        send = actors.send
        t0 = time.perf_counter()
        for i in range(n):
            send(pid, i)
        sent = time.perf_counter() - t0
        _, got, dt = actors.receive(timeout=120)
        total = time.perf_counter() - t0
        return {"msgs": got, "seconds": dt, "first_to_last_rate": got / dt,
                "sender_seconds": sent, "rate": got / total}
    emit(_run_a(port, b_port, security, main))


def node_a_ask(port, b_port, security, n):
    import actors

    def main():
        _wait_for("b")
        pid = actors.spawn(echo, None, node="b")
        ask = actors.ask
        for i in range(200):
            ask(pid, i)
        t0 = time.perf_counter()
        for i in range(n):
            ask(pid, i)
        dt = time.perf_counter() - t0
        return {"round_trips": n, "seconds": dt, "us": dt / n * 1e6}
    emit(_run_a(port, b_port, security, main))


def node_workers(port, n_workers, jobs, work):
    """Node k with n workers k.1..k.n; jobs round-robin to one cruncher
    actor per worker."""
    import actors
    from actors._nodecli import start_workers
    cfg = _node_config("k", port)
    names = ["k.%d" % (i + 1) for i in range(n_workers)]

    def main():
        for name in names:
            _wait_for(name, 30)
        me = actors.self()
        pids = [actors.spawn(cruncher, me, node=name) for name in names]
        for pid in pids:                        # warm up, one job each
            actors.send(pid, 1)
        for _ in pids:
            actors.receive()
        t0 = time.perf_counter()
        k = len(pids)
        for j in range(jobs):
            actors.send(pids[j % k], work)
        for _ in range(jobs):
            actors.receive()
        dt = time.perf_counter() - t0
        for pid in pids:
            actors.send(pid, None)
        return {"jobs": jobs, "seconds": dt, "rate": jobs / dt}
    with start_workers(cfg, n_workers):
        emit(actors.run(main, node=cfg))


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def _python(func, *args, stdout=subprocess.PIPE):
    code = "import bench_cluster as b, sys; b.%s(*%r)" % (func, args)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [HERE] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return subprocess.Popen([sys.executable, "-c", code], cwd=HERE, env=env,
                            stdout=stdout, text=True,
                            start_new_session=True)


def _result(proc, timeout):
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError("timed out after %s s" % timeout)
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError("no result (exit status %s)" % proc.returncode)


def _stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


def pair(server, client, timeout):
    """Start the server party, then the client; the client's result."""
    port = free_port()
    srv = _python(server[0], port, *server[1:], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        cli = _python(client[0], port, *client[1:])
        try:
            return _result(cli, timeout)
        finally:
            _stop(cli)
    finally:
        _stop(srv)


def measure(name, args):
    """(label, result dict) for one named measurement."""
    n, r, t = args.messages, args.round_trips, args.timeout
    keys = _keys(True)
    keytext = "%s,%s" % (keys[0].decode(), keys[1].decode())
    if name == "raw_batched":
        return pair(("raw_sink", n, "-"), ("raw_source", n, BATCH, "-"), t)
    if name == "raw_batched_curve":
        return pair(("raw_sink", n, keytext),
                    ("raw_source", n, BATCH, keytext), t)
    if name == "raw_single":
        return pair(("raw_sink", n, "-"), ("raw_source", n, 1, "-"), t)
    if name == "raw_single_curve":
        return pair(("raw_sink", n, keytext), ("raw_source", n, 1, keytext),
                    t)
    if name == "raw_rtt":
        return pair(("raw_echo", "-"), ("raw_asker", r, "-"), t)
    if name == "raw_rtt_curve":
        return pair(("raw_echo", keytext), ("raw_asker", r, keytext), t)
    if name.startswith(("actors_throughput", "actors_ask")):
        security = "none" if name.endswith("_plain") else "cookie"
        tp = name.startswith("actors_throughput")
        b_port = free_port()
        b = _python("node_b", b_port, security, stdout=subprocess.DEVNULL)
        try:
            a = _python("node_a_throughput" if tp else "node_a_ask",
                        free_port(), b_port, security, n if tp else r)
            try:
                return _result(a, t)
            finally:
                _stop(a)
        finally:
            _stop(b)
    if name.startswith("actors_workers_"):
        w = int(name.rsplit("_", 1)[1])
        p = _python("node_workers", free_port(), w, args.jobs, args.work)
        try:
            return _result(p, t)
        finally:
            _stop(p)
    if name.startswith("raw_workers_"):
        w = int(name.rsplit("_", 1)[1])
        p = _python("raw_workers", w, args.jobs, args.work)
        try:
            return _result(p, t)
        finally:
            _stop(p)
    raise ValueError(name)


MEASUREMENTS = (
    "actors_throughput", "actors_throughput_plain", "raw_batched",
    "raw_batched_curve", "raw_single", "raw_single_curve",
    "actors_ask", "actors_ask_plain", "raw_rtt", "raw_rtt_curve",
    "actors_workers_1", "actors_workers_2", "raw_workers_1", "raw_workers_2",
)


def _best(results, key, better):
    vals = [r[key] for r in results if r and key in r]
    if not vals:
        return None
    return max(vals) if better == "max" else min(vals)


def fmt_rate(v):
    return "—" if v is None else "{:,.0f}/s".format(v)


def fmt_us(v):
    return "—" if v is None else "%.1f µs" % v


def ratio(a, b):
    return None if a is None or not b else a / b


def fmt_ratio(v):
    return "—" if v is None else "%.2f×" % v


def report(res, args):
    """The table: each actors figure beside the raw pyzmq one with the
    same security (CURVE: the nodes' default, cookie keys; plain: nodes
    with security='none', raw sockets without keys)."""
    g = lambda name, key: (res.get(name) or {}).get(key)  # noqa: E731
    lines = [
        "| measurement | security | actors | raw pyzmq | actors ÷ raw | "
        "target | result |",
        "|---|---|---|---|---|---|---|"]
    verdicts = []

    def row(label, sec, act, raw, fmt, target="", result=""):
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, sec, fmt(act), fmt(raw), fmt_ratio(ratio(act, raw)),
            target, result))

    def verdict(ok):
        verdicts.append(ok)
        return "PASS" if ok else "MISS"

    for suffix, sec, raw_sfx in (("", "CURVE", "_curve"), ("_plain", "plain",
                                                           "")):
        act = g("actors_throughput" + suffix, "rate")
        tgt = "≥ 1,000,000/s" if not suffix else ""
        res_ = verdict(act is not None and act >= TARGETS["throughput"]) \
            if not suffix else ""
        row("one-way a→b vs raw 100 msgs/frame", sec, act,
            g("raw_batched" + raw_sfx, "rate"), fmt_rate, tgt, res_)
        row("one-way a→b vs raw 1 send/msg", sec, act,
            g("raw_single" + raw_sfx, "rate"), fmt_rate)
        row("(receiver's first→last) vs 100/frame", sec,
            g("actors_throughput" + suffix, "first_to_last_rate"),
            g("raw_batched" + raw_sfx, "first_to_last_rate"), fmt_rate)
    for suffix, sec, raw_sfx in (("", "CURVE", "_curve"), ("_plain", "plain",
                                                           "")):
        act, raw = g("actors_ask" + suffix, "us"), g("raw_rtt" + raw_sfx,
                                                      "us")
        r = ratio(act, raw)
        row("ask round trip a→b→a", sec, act, raw, fmt_us, "≤ 1.5× raw",
            verdict(r is not None and r <= TARGETS["ask"]))
    # The strictest reading: the nodes' default (CURVE) against raw plain.
    act, raw = g("actors_ask", "us"), g("raw_rtt", "us")
    row("ask round trip (CURVE) vs raw plain", "mixed", act, raw, fmt_us)

    w1, w2 = g("actors_workers_1", "rate"), g("actors_workers_2", "rate")
    r1, r2 = g("raw_workers_1", "rate"), g("raw_workers_2", "rate")
    row("CPU jobs, 1 worker", "CURVE / plain", w1, r1, fmt_rate)
    row("CPU jobs, 2 workers", "CURVE / plain", w2, r2, fmt_rate)
    s_act, s_raw = ratio(w2, w1), ratio(r2, r1)
    lines.append("| 2 workers ÷ 1 worker | | %s | %s | | ≥ 1.6× | %s |"
                 % (fmt_ratio(s_act), fmt_ratio(s_raw),
                    verdict(s_act is not None and
                            s_act >= TARGETS["workers"])))
    return "\n".join(lines), verdicts


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Cluster benchmarks: actors between nodes next to raw "
                    "pyzmq, every party a fresh process, tcp loopback.")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes: a smoke run")
    ap.add_argument("--messages", type=int, default=None,
                    help="one-way messages (default 1,000,000; 100,000 "
                         "with --quick)")
    ap.add_argument("--round-trips", type=int, default=None,
                    help="ask round trips (default 20,000; 2,000 quick)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="CPU-bound jobs (default 400; 60 quick)")
    ap.add_argument("--work", type=int, default=200000,
                    help="loop iterations per job (default 200,000)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="runs of each measurement, best kept (default 3; "
                         "1 quick)")
    ap.add_argument("--only", help="comma-separated measurement names: %s"
                    % ", ".join(MEASUREMENTS))
    ap.add_argument("--timeout", type=int, default=300,
                    help="seconds one party may take (default 300)")
    ap.add_argument("--json", metavar="FILE",
                    help="also write the raw figures to FILE")
    args = ap.parse_args(argv)
    q = args.quick
    if args.messages is None:
        args.messages = 100000 if q else 1000000
    if args.round_trips is None:
        args.round_trips = 2000 if q else 20000
    if args.jobs is None:
        args.jobs = 60 if q else 400
    if args.repeat is None:
        args.repeat = 1 if q else 3
    names = MEASUREMENTS
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        bad = set(names) - set(MEASUREMENTS)
        if bad:
            ap.error("unknown measurement(s): %s" % ", ".join(sorted(bad)))

    import zmq
    log = sys.stderr
    print("# actors cluster benchmark", file=log)
    header = ("python %s, pyzmq %s, libzmq %s, %s, %d CPUs; messages %s, "
              "round trips %s, jobs %d × %d iterations, best of %d"
              % (platform.python_version(), zmq.__version__,
                 zmq.zmq_version(), platform.machine(), os.cpu_count(),
                 "{:,}".format(args.messages),
                 "{:,}".format(args.round_trips), args.jobs, args.work,
                 args.repeat))
    print(header, file=log)
    res, errors = {}, []
    better = {"rate": "max", "us": "min"}
    for name in names:
        runs = []
        for r in range(args.repeat):
            print("  %-20s run %d/%d ..." % (name, r + 1, args.repeat),
                  end="", file=log, flush=True)
            t0 = time.time()
            try:
                runs.append(measure(name, args))
                print(" %.1fs" % (time.time() - t0), file=log, flush=True)
            except Exception as e:
                print(" ERROR %s" % e, file=log, flush=True)
                errors.append("%s: %s" % (name, e))
                break
        if runs:
            key = "us" if "us" in runs[0] else "rate"
            pick = min if better[key] == "min" else max
            res[name] = pick(runs, key=lambda d: d[key])
    table, verdicts = report(res, args)
    print()
    print(header)
    print()
    print(table)
    if errors:
        print()
        for e in errors:
            print("ERROR " + e)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"header": header, "results": res, "errors": errors},
                      f, indent=2)
    return 0 if all(verdicts) and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
