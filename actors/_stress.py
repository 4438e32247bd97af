"""The stress jobs behind ``actors stress``.

``actors stress`` (the default job, :func:`run_actor_stress`) spawns COUNT
actors, process-style (a function blocked in ``actors.receive()``) or
class-style (an ``actors.Actor`` subclass), arranged in a ring, and has them
exchange messages:

* the collector (the main actor) sends every actor one start token;
* an actor that receives a token with hops left forwards it, one hop fewer,
  to its ring neighbour; so every actor passes MESSAGES messages to its
  neighbour and receives MESSAGES from the other one;
* the token's last holder reports to the collector.

Every actor therefore receives MESSAGES + 1 messages and sends MESSAGES + 1,
and COUNT * (MESSAGES + 2) messages are delivered in all.  The run is OK
only when every actor was alive after the spawn, received exactly its
messages (each counts them and says when it has all of them; the totals
must match), every token came back to the collector, and nothing went to
the dead letters.  A run that stops making progress (a lost message, a
missing actor) is ended after a stall timeout and reported as FAILED.

``actors stress --tasklets`` (:func:`run_tasklet_stress`) is the older
job: start and park COUNT raw tasklets, then resume each until it finishes.

The command functions (:func:`actor_stress_command`,
:func:`tasklet_stress_command`) print a ``key: value`` summary on stdout
and return the exit status; progress bars go to stderr.
"""
import gc
import os
import sys
import time

STYLES = ("process", "class")
FAULTS = ("drop", "kill")       # for testing the checks: lose a message / an actor
STALL_SECONDS = 3.0             # no progress for this long: the run failed


# -- memory and progress ------------------------------------------------------

def rss_bytes():
    """Current resident set size, in bytes."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # no procfs: the peak is the best we have
        return peak_rss_bytes()


def peak_rss_bytes():
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # KiB on Linux


class Progress:
    """A one-line progress bar on stderr, without dependencies."""

    WIDTH = 30

    def __init__(self, label, total, enabled, stream=None):
        self.label, self.total, self.enabled = label, total, enabled
        self.stream = stream or sys.stderr
        self.t0 = self.last = time.perf_counter()
        self.width = 0

    def update(self, done):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.1 and done < self.total:
            return                      # redraw at most ten times a second
        self.last = now
        frac = min(1.0, done / self.total) if self.total else 1.0
        fill = int(frac * self.WIDTH)
        elapsed = now - self.t0
        rate = done / elapsed if elapsed > 0 else 0.0
        line = "%-14s [%s%s] %5.1f%% %s/%s %s/s" % (
            self.label, "#" * fill, "." * (self.WIDTH - fill), 100 * frac,
            si(done), si(self.total), si(rate))
        self.width = max(self.width, len(line))
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def si(x):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return "%.2f%s" % (x / div, unit)
    return "%d" % x


def print_summary(lines, stream=None):
    """Print (key, value) pairs as aligned ``key: value`` lines."""
    stream = stream or sys.stdout
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print("%-*s  %s" % (width + 1, key + ":", value), file=stream)
    stream.flush()


def _chunk_for(count):
    return max(1, min(10000, count // 200 or 1))


# -- the actor stress job -----------------------------------------------------

def run_actor_stress(count, style="process", messages=1, progress=False,
                     disable_gc=False, fault=None, stall_seconds=STALL_SECONDS):
    """Spawn `count` actors of `style` in a ring, pass `messages` tokens
    from each to its neighbour, collect the tokens, and return a dict of
    figures; ``ok`` is True only when nothing was missing.

    `fault` ("drop": one actor swallows a message; "kill": one actor is
    killed after the spawn) exists to test that the checks catch it.
    """
    import actors

    if style not in STYLES:
        raise ValueError("style must be one of %s" % (STYLES,))
    if fault not in (None,) + FAULTS:
        raise ValueError("fault must be one of %s" % (FAULTS,))
    if count < 1 or messages < 0:
        raise ValueError("count must be >= 1 and messages >= 0")

    n = count
    per_actor = messages + 1            # received (and sent) by every actor
    expected_total = n * (messages + 2)  # + the reports to the collector
    victim = n // 2 if fault else -1
    receive, send, spawn = actors.receive, actors.send, actors.spawn
    pids = [None] * n                   # allocated before the RSS baseline
    collector = [None]
    # Counters bumped by the actors (closure cells: cheap to update).
    started = 0                         # actors alive and ready
    received = 0                        # tokens received by the actors
    completed = 0                       # actors that received all theirs

    if style == "process":
        def actor(i):
            nonlocal started, received, completed
            started += 1
            ring = pids
            for _ in range(per_actor):
                ttl = receive()         # parked here until a token comes
                received += 1
                if i == victim and fault == "drop" and not victim_dropped[0]:
                    victim_dropped[0] = True
                    continue            # swallowed: neither forwarded nor reported
                if ttl > 1:
                    send(ring[i + 1 if i + 1 < n else 0], ttl - 1)
                else:
                    send(collector[0], i)
            completed += 1
    else:
        class actor(actors.Actor):
            __slots__ = ("i", "got")

            def __init__(self, i):
                nonlocal started
                self.i = i
                self.got = 0
                started += 1

            def receive(self, ttl):
                nonlocal received, completed
                received += 1
                got = self.got = self.got + 1
                if got == per_actor:
                    completed += 1
                i = self.i
                if i == victim and fault == "drop" and not victim_dropped[0]:
                    victim_dropped[0] = True
                    return
                if ttl > 1:
                    send(pids[i + 1 if i + 1 < n else 0], ttl - 1)
                else:
                    send(collector[0], i)
    victim_dropped = [False]

    r = {"style": style, "count": n, "messages": messages,
         "stall_seconds": stall_seconds,
         "per_actor": per_actor, "expected_messages": expected_total}

    def main():
        nonlocal started
        collector[0] = actors.self()
        chunk = _chunk_for(n)
        dead0 = actors.dead_letters()[0]
        gc.collect()
        rss0 = rss_bytes()
        t_start = time.perf_counter()

        # Spawn: every actor is spawned and (process-style) runs until it
        # parks in receive(); the collector yields after each chunk.
        bar = Progress("spawn", n, progress)
        for lo in range(0, n, chunk):
            for i in range(lo, min(lo + chunk, n)):
                pids[i] = spawn(actor, i)
            actors.sleep(0)             # process-style: they park now
            bar.update(min(lo + chunk, n))
        t_spawned = time.perf_counter()
        bar.close()
        r["spawn_s"] = t_spawned - t_start
        r["rss_spawned"] = rss_bytes() - rss0
        r["started"] = started
        r["alive"] = sum(1 for p in pids if p is not None and p.alive)
        if fault == "kill":
            actors.exit(pids[victim], "kill")
            actors.sleep(0)

        # Messages: one start token to each, then collect the reports.
        bar = Progress("messages", expected_total, progress)
        t0 = time.perf_counter()
        for lo in range(0, n, chunk):
            for i in range(lo, min(lo + chunk, n)):
                send(pids[i], per_actor)
            bar.update(received)
        reports = 0
        wrong = 0
        seen = bytearray(n)
        last_progress, last_t = -1, t0
        stalled = False
        none = object()
        while reports < n or completed < n:
            while True:                 # drain the reports that came in
                msg = receive(timeout=0, default=none)
                if msg is none:
                    break
                if type(msg) is int and 0 <= msg < n and not seen[msg]:
                    seen[msg] = 1
                    reports += 1
                else:
                    wrong += 1
            if reports >= n and completed >= n:
                break
            now = time.perf_counter()
            total = received + reports + completed
            if total != last_progress:
                last_progress, last_t = total, now
            elif now - last_t > stall_seconds:
                stalled = True
                break
            bar.update(received + reports)
            actors.sleep(0)             # let the others run a pass
        t_done = time.perf_counter()
        bar.update(received + reports)
        bar.close()
        r["messages_s"] = t_done - t0
        r["received"] = received
        r["reports"] = reports
        r["wrong_reports"] = wrong
        r["completed"] = completed
        r["stalled"] = stalled
        r["dead_letters"] = actors.dead_letters()[0] - dead0
        r["delivered"] = received + reports + wrong
        r["t_start"] = t_start
        r["t_done"] = t_done

    gc.collect()
    gc_was_enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        actors.run(main)                # ends the class-style actors still alive
        t_end = time.perf_counter()
    finally:
        if gc_was_enabled:
            gc.enable()
    del pids[:]
    r["shutdown_s"] = t_end - r["t_done"]
    r["total_s"] = t_end - r["t_start"]
    r["rss_per_actor"] = r["rss_spawned"] / n
    r["peak_rss"] = peak_rss_bytes()
    r["ok"] = (r["started"] == r["alive"] == n and r["received"] == n * per_actor
               and r["completed"] == n and r["reports"] == n
               and r["wrong_reports"] == 0 and r["dead_letters"] == 0
               and not r["stalled"])
    return r


def _secs(x):
    return ("%.3f s" if x >= 0.1 else "%.6f s") % x


def _n(x):
    return "{:,}".format(x)


def actor_summary(r, gc_enabled=True):
    """The summary lines of run_actor_stress's figures."""
    import actors
    n = r["count"]
    problems = []
    if r["started"] != n:
        problems.append("%s of %s actors started" % (_n(r["started"]), _n(n)))
    if r["alive"] != n:
        problems.append("%s of %s actors alive after spawn"
                        % (_n(r["alive"]), _n(n)))
    if r["received"] != n * r["per_actor"]:
        problems.append("%s of %s messages received by the actors"
                        % (_n(r["received"]), _n(n * r["per_actor"])))
    if r["completed"] != n:
        problems.append("%s of %s actors got all their messages"
                        % (_n(r["completed"]), _n(n)))
    if r["reports"] != n:
        problems.append("%s of %s tokens came back"
                        % (_n(r["reports"]), _n(n)))
    if r["wrong_reports"]:
        problems.append("%s unexpected messages" % _n(r["wrong_reports"]))
    if r["dead_letters"]:
        problems.append("%s dead letters" % _n(r["dead_letters"]))
    if r["stalled"]:
        problems.append("no progress for %g s" % r["stall_seconds"])
    spawn_rate = n / r["spawn_s"] if r["spawn_s"] > 0 else 0.0
    msg_rate = (r["delivered"] / r["messages_s"]
                if r["messages_s"] > 0 else 0.0)
    return [
        ("style", r["style"]),
        ("count", "%s actors" % _n(n)),
        ("messages per actor", "%s received, %s sent (%s to and from its "
         "ring neighbour)" % (_n(r["per_actor"]), _n(r["per_actor"]),
                              _n(r["messages"]))),
        ("spawn", _secs(r["spawn_s"])),
        ("spawn rate", "%s actors/s" % _n(round(spawn_rate))),
        ("messages", "%s of %s delivered in %s"
         % (_n(r["delivered"]), _n(r["expected_messages"]),
            _secs(r["messages_s"]))),
        ("messages per second", "%s" % _n(round(msg_rate))),
        ("RSS per actor", "%s bytes" % _n(round(r["rss_per_actor"]))),
        ("peak RSS", "%.1f MiB" % (r["peak_rss"] / 2.0 ** 20)),
        ("shutdown", _secs(r["shutdown_s"])),
        ("total time", _secs(r["total_s"])),
        ("gc", "on" if gc_enabled else "off while timing (--no-gc)"),
        ("backend", actors.BACKEND),
        ("result", "OK" if r["ok"] else "FAILED (%s)" % "; ".join(problems)),
    ]


def actor_stress_command(count, style, messages, progress, gc_enabled,
                         fault=None):
    """``actors stress``: run, print the summary, return the exit status."""
    import actors
    print("actors stress: spawning {:,} {}-style actors, {} message(s) "
          "each around the ring, {} backend".format(count, style, messages,
                                                   actors.BACKEND),
          file=sys.stderr)
    sys.stderr.flush()
    r = run_actor_stress(count, style, messages, progress=progress,
                         disable_gc=not gc_enabled, fault=fault)
    print_summary(actor_summary(r, gc_enabled))
    return 0 if r["ok"] else 1


# -- the tasklet stress job ---------------------------------------------------

def run_tasklet_stress(count, tasklet, getcurrent, progress=False,
                       disable_gc=False, chunk=None):
    """Start and park `count` tasklets, then resume each until it finishes.

    `tasklet` and `getcurrent` follow the greenlet API.  Returns a dict of
    figures; ``ok`` is True only when every tasklet parked, came back with
    its own index and finished.  The garbage collector stays on, as
    programs run; with `disable_gc` it is off while timing.
    """
    chunk = chunk or _chunk_for(count)
    main_switch = getcurrent().switch
    parked = [0]
    finished = [0]

    def body(i):
        parked[0] += 1
        token = main_switch(i)          # parked: blocked in a switch to main
        finished[0] += 1
        return i + token                # proves the locals survived

    tasklets = [None] * count           # allocated before the RSS baseline
    gc.collect()
    gc_was_enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        rss0 = rss_bytes()
        bad_start = 0
        bar = Progress("start+park", count, progress)
        t0 = time.perf_counter()
        for lo in range(0, count, chunk):
            for i in range(lo, min(lo + chunk, count)):
                t = tasklet(body)
                if t.switch(i) != i:
                    bad_start += 1
                tasklets[i] = t
            bar.update(min(lo + chunk, count))
        park_s = time.perf_counter() - t0
        bar.close()
        rss_parked = rss_bytes()
        alive = sum(1 for t in tasklets if t is not None and not t.dead)

        bad_finish = 0
        bar = Progress("resume+finish", count, progress)
        t0 = time.perf_counter()
        for lo in range(0, count, chunk):
            for i in range(lo, min(lo + chunk, count)):
                t = tasklets[i]
                if t.switch(1) != i + 1 or not t.dead:
                    bad_finish += 1
                tasklets[i] = None      # let it go as soon as it is done
            bar.update(min(lo + chunk, count))
        resume_s = time.perf_counter() - t0
        bar.close()
    finally:
        if gc_was_enabled:
            gc.enable()

    ok = (parked[0] == count and alive == count and bad_start == 0
          and finished[0] == count and bad_finish == 0)
    return {
        "count": count,
        "parked": parked[0],
        "alive_after_park": alive,
        "finished": finished[0],
        "wrong_results": bad_start + bad_finish,
        "park_s": park_s,
        "resume_s": resume_s,
        "rss_per_parked": (rss_parked - rss0) / count,
        "peak_rss": peak_rss_bytes(),
        "ok": ok,
    }


def tasklet_stress_command(count, progress, gc_enabled):
    """``actors stress --tasklets``: run, print the summary, return the
    exit status."""
    import actors
    from actors.greenlet import getcurrent, greenlet

    print("actors stress: starting and parking {:,} tasklets on the {} "
          "backend".format(count, actors.BACKEND), file=sys.stderr)
    r = run_tasklet_stress(count, greenlet, getcurrent, progress=progress,
                           disable_gc=not gc_enabled)
    n = r["count"]
    print_summary([
        ("backend", actors.BACKEND),
        ("count", "%d" % n),
        ("gc", "on" if gc_enabled else "off while timing (--no-gc)"),
        ("start+park", "%.3f µs per tasklet (%.3f s total)"
         % (r["park_s"] / n * 1e6, r["park_s"])),
        ("resume+finish", "%.3f µs per tasklet (%.3f s total)"
         % (r["resume_s"] / n * 1e6, r["resume_s"])),
        ("RSS per parked tasklet", "%.0f bytes" % r["rss_per_parked"]),
        ("peak RSS", "%.1f MiB" % (r["peak_rss"] / 2.0 ** 20)),
        ("finished", "%d of %d" % (r["finished"], n)),
        ("result", "OK" if r["ok"] else
         "FAILED (parked %d, alive after park %d, finished %d, wrong "
         "results %d)" % (r["parked"], r["alive_after_park"], r["finished"],
                          r["wrong_results"])),
    ])
    return 0 if r["ok"] else 1
