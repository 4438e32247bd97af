# Seeing inside a running system: the raw facts actors/_observe.py,
# _metrics.py and _top.py build on.  Everything here is computed when it is
# read; the hot paths only add to counters (counters.pxi), to a tasklet's
# reductions and set its Pid's born (both in padding: no memory per actor).
# The gauges of metrics() never walk every live actor (see _gauges).

import sys as _sys

runtime_start = coarse_now()


cdef dict exit_reasons = {}       # reason (or exception type) -> count


cdef void count_exit(reason, bint crashed) noexcept:
    """Exits but the plain 'normal' ones, by reason: strings as they are,
    anything else by its type's name, at most 64 kinds ('other' beyond)."""
    try:
        if crashed:
            counters.crashed += 1
        if isinstance(reason, str) and len(<str>reason) <= 40:
            key = reason
        else:
            key = type(reason).__name__
        if key not in exit_reasons and len(exit_reasons) >= 64:
            key = "other"
        exit_reasons[key] = exit_reasons.get(key, 0) + 1
    except BaseException:
        pass


cdef str status_of(Process p):
    if p.pflags & P_EXITED or p.pending_exit is not None:
        return "exiting"
    if tasklet_thread(p).current is p:
        return "running"
    if p.pflags & P_QUEUED:
        return "runnable"
    if p.pflags & P_WAITING:
        if p.matcher is SLEEPING:
            for q in p.sched.fd_waiters.values():
                if q is p:
                    return "waiting on fd"
            return "sleeping"
        return "waiting in receive"
    if p.pflags & P_CLASS and not tasklet_active(p):
        return "waiting in receive"       # idle between batches
    return "suspended"                    # switched away (a user greenlet)


def _pids():
    """The live local pids."""
    return list(processes)


cdef Py_ssize_t mailbox_len(Process p):
    return 0 if p.mailbox is None else len(p.mailbox)


def _info(pid):
    """The raw facts about one local actor (None if it is not alive)."""
    cdef Process p = <Process>processes.get(pid) if type(pid) is Pid else None
    if p is None:
        return None
    cdef _Extra x = p.extra
    mb = p.mailbox
    nmb = 0 if mb is None else len(mb)
    mb_bytes = 0
    if nmb:
        mb_bytes = _sys.getsizeof(mb)
        for i, m in enumerate(mb):
            if i == 1000:                 # estimate the rest
                mb_bytes += (mb_bytes // 1000) * (nmb - 1000)
                break
            mb_bytes += _sys.getsizeof(m)
    extra_bytes = 0
    if x is not None:
        extra_bytes = _sys.getsizeof(x)
        for c in (x.links, x.monitors, x.watchers, x.names, x.groups,
                  x.requests):
            if c is not None:
                extra_bytes += _sys.getsizeof(c)
    obj = _sys.getsizeof(p)
    d = getattr(p, "__dict__", None)
    if d is not None:
        obj += _sys.getsizeof(d)
    return {
        "pid": p.pid,
        "status": status_of(p),
        "class": type(p) if p.pflags & P_CLASS else None,
        "start": p.start[0] if p.start is not None else None,
        "root": bool(p.pflags & P_ROOT),
        "mailbox": nmb,
        "reductions": p.reductions,
        "trap_exits": bool(p.pflags & P_TRAP),
        "names": list(x.names or ()) if x is not None else [],
        "groups": list(x.groups or ()) if x is not None else [],
        "links": sorted(x.links or ()) if x is not None else [],
        "monitors": list((x.monitors or {}).values()) if x is not None
                    else [],
        "monitored_by": list((x.watchers or [])[1::2]) if x is not None
                        else [],
        "age": max(0.0, coarse_now() - runtime_start - p.pid.born),
        "memory": {"object": obj, "stack": tasklet_saved(p),
                   "chunk": tasklet_root_chunk(p), "mailbox": mb_bytes,
                   "extra": extra_bytes},
        "frame": tasklet_frame(p),
        "thread": p.sched.ident,
        "asking": (<_AskMatch>p.matcher).target
                  if p.pflags & P_WAITING and type(p.matcher) is _AskMatch
                  else None,
    }


def _frame_status(pid):
    """(status, top frame or None, initial fn or class or None, thread) of
    one live local actor, or None: what dump() groups by, cheaply."""
    cdef Process p = <Process>processes.get(pid) if type(pid) is Pid else None
    if p is None:
        return None
    first = type(p) if p.pflags & P_CLASS else \
        (p.start[0] if p.start is not None else None)
    return status_of(p), tasklet_frame(p), first, p.sched.ident


def _table():
    """[(pid, reductions, mailbox length, age, memory)] of every live local
    actor: the numbers `actors top` sorts a million actors by, in one pass
    (memory here: the object, its saved stack and frame chunk; info() adds
    the mailbox's and the links' own)."""
    cdef Process p
    cdef double t = coarse_now() - runtime_start
    out = []
    for v in processes.values():
        p = <Process>v
        out.append((p.pid, p.reductions, mailbox_len(p), t - p.pid.born,
                    _sys.getsizeof(p) + tasklet_saved(p) +
                    tasklet_root_chunk(p)))
    return out


# Mail that may wait in a mailbox while its actor neither runs nor sits in
# a run queue: only an actor that blocks with unmatched messages (a
# selective receive, an ask, a sleep) or is sent one its wait does not take
# can hold it.  Both are slow paths (a matcher ran, or the actor is about
# to switch away); there it is put once (P_NOTED) in its scheduler's
# mail_noted, which _gauges prunes of actors whose mailbox is empty again
# and process_exit of the dead.  (An actor switched away through the
# greenlet API, status "suspended", is not noted: its mail is counted once
# it runs or waits again.)

cdef int note_mail(Process p) except -1:
    if not p.pflags & P_NOTED:
        p.sched.mail_noted.add(p)
        p.pflags |= P_NOTED
    return 0


cdef void forget_mail(Process p) noexcept:
    p.pflags &= ~P_NOTED
    p.sched.mail_noted.discard(p)


cdef list mail_candidates(Scheduler s, Py_ssize_t *queued, bint copies):
    """The actors of s that may hold mail: the running one, the queued ones
    with mail (queued[0]: how many are queued), the noted ones not queued
    (those whose mailbox emptied or who died are forgotten here)."""
    cdef Process p
    cands = []
    queued[0] = 0
    if s.running is not None and not s.running.pflags & P_QUEUED:
        cands.append(s.running)
    for v in (list(s.runq) if copies else s.runq):
        p = <Process>v
        if p.pflags & P_QUEUED:           # (an exited one is no longer)
            queued[0] += 1
            if p.mailbox is not None and actors_dq_len(<PyObject *>p.mailbox):
                cands.append(p)
    stale = []
    for v in (list(s.mail_noted) if copies else s.mail_noted):
        p = <Process>v
        if p.pflags & P_EXITED or p.mailbox is None or \
                actors_dq_len(<PyObject *>p.mailbox) == 0:
            stale.append(p)
        elif not p.pflags & P_QUEUED and p is not s.running:
            cands.append(p)
    for v in stale:
        forget_mail(<Process>v)
    return cands


def _gauges():
    """The gauges, without a walk over every live actor: actors alive is
    the table's size; waiting is kept by set_waiting/wake/clear_waiting
    (process.pxi) per scheduler; stack bytes by the stack copies
    (stack.pxi).  Mailboxes are read only where mail can be: the actor
    running, the run queues (runnable: P_QUEUED entries) and mail_noted
    (above), so a scrape costs in proportion to the runnable actors and
    those with mail left unread, never to the parked ones."""
    cdef Scheduler s
    cdef Process p
    cdef Py_ssize_t n, largest = 0, queued = 0, nmsgs = 0, q = 0
    cdef long long waiting = 0
    cdef Py_ssize_t visited = 0     # actors looked at (tests)
    largest_pid = None
    for s in list(all_scheds):
        if s.forked:
            continue
        waiting += s.nwaiting
        try:
            cands = mail_candidates(s, &q, False)
        except RuntimeError:
            # The run queue or the set changed under the walk (a
            # collection's finalizer let the scheduler's thread in): again,
            # over copies.
            cands = mail_candidates(s, &q, True)
        queued += q
        visited += len(s.runq) + len(s.mail_noted) + 1
        for v in cands:
            p = <Process>v
            if p.pflags & P_EXITED:
                continue
            n = mailbox_len(p)
            nmsgs += n
            if n > largest:
                largest = n
                largest_pid = p.pid
    return {"alive": len(processes), "largest_mailbox": largest,
            "largest_mailbox_pid": largest_pid, "mailbox_messages": nmsgs,
            "runnable": queued, "waiting": waiting,
            "stack_bytes": tasklets_saved_total(), "visited": visited}


def _gauges_walk():
    """_gauges() the slow way, one pass over every live actor: what tests
    check the kept figures against (stack_bytes here: actors only)."""
    cdef Process p
    cdef Py_ssize_t n, largest = 0, queued = 0, waiting = 0, nmsgs = 0
    cdef Py_ssize_t saved = 0
    largest_pid = None
    for v in processes.values():
        p = <Process>v
        n = mailbox_len(p)
        nmsgs += n
        if n > largest:
            largest = n
            largest_pid = p.pid
        if p.pflags & P_QUEUED:
            queued += 1
        elif p.pflags & P_WAITING:
            waiting += 1
        saved += tasklet_saved(p)
    return {"alive": len(processes), "largest_mailbox": largest,
            "largest_mailbox_pid": largest_pid, "mailbox_messages": nmsgs,
            "runnable": queued, "waiting": waiting, "stack_bytes": saved}


def _mail_noted():
    """How many actors the schedulers hold in mail_noted (tests)."""
    cdef Scheduler s
    cdef Py_ssize_t n = 0
    for s in list(all_scheds):
        if not s.forked:
            n += len(s.mail_noted)
    return n


def _counters():
    """The cumulative counters (counters.pxi, and a few kept elsewhere)."""
    return {"spawned": pid_counter, "sent": counters.sent,
            "received": counters.received, "exits": counters.exits,
            "crashed": counters.crashed, "exit_reasons": dict(exit_reasons),
            "dead_letters": dead_letter_count,
            "ask_timeouts": counters.ask_timeouts,
            "ask_cycles": counters.ask_cycles}


def _schedulers():
    """One dict per running scheduler (thread)."""
    cdef Scheduler s
    cdef double t = now()
    out = []
    for s in list(all_scheds):
        if s.forked or s.closed:
            continue
        cur = s.st.current
        out.append({"thread": s.ident, "runq": len(s.runq),
                    "actors": s.nprocs,
                    "timers": len(s.timers) + s.new_waits.n +
                              s.old_waits.n,
                    "ticks": s.ticks, "idle": s.idle,
                    "uptime": t - s.started,
                    "current": (<Process>cur).pid if isinstance(cur, Process)
                               else None})
    return out




# -- tracing ------------------------------------------------------------------
# One trace at a time (as recon_trace): its sink (a callable, or a Pid sent
# the events), what is left of its count, its rate window.  It stops itself
# when the count is used up or the rate exceeded, so that tracing a busy
# production system can never flood it.

TraceEvent = namedtuple("TraceEvent", "kind pid other msg time",
                        module="actors")
TraceEvent.__doc__ = """One traced event: kind 'send' (pid sent msg to
other), 'receive' (msg arrived in pid's mailbox; other None), 'spawn' (pid
spawned other running msg), 'exit' (pid ended, msg the reason), 'link' (pid
linked to other)."""

cdef object trace_sink = None
cdef Pid trace_sink_pid = None
cdef long long trace_left = 0
cdef long long trace_rate_n = 0
cdef double trace_rate_window = 0.0
cdef double trace_window_start = 0.0
cdef long long trace_window_count = 0
cdef bint in_trace = False
cdef object trace_done = None     # called with the reason tracing stopped


cdef void trace_emit(str kind, Pid pid, other, msg) noexcept:
    global in_trace, trace_left, trace_window_start, trace_window_count
    cdef double t
    if in_trace or trace_flags == 0:
        return                            # an event of the sink itself
    if trace_sink_pid is not None and pid == trace_sink_pid:
        return
    in_trace = True
    try:
        t = now()
        if trace_rate_n:
            if t - trace_window_start >= trace_rate_window:
                trace_window_start = t
                trace_window_count = 0
            trace_window_count += 1
            if trace_window_count > trace_rate_n:
                trace_stop("rate")
                return
        ev = TraceEvent(kind, pid, other, msg, time.time())
        if trace_sink_pid is not None:
            sink = <Process>processes.get(trace_sink_pid)
            if sink is None:
                trace_stop("sink ended")
                return
            # No send(): it may yield, and an event can come from an
            # actor's last moments (process_exit), which must not.
            if tasklet_here(sink):
                deliver(sink, ev)
            else:
                sink.sched.post(sink, ev)
        else:
            call_sink(ev)
        trace_left -= 1
        if trace_left <= 0:
            trace_stop("count")
    except BaseException:
        log.exception("actors: the trace sink failed; tracing stopped")
        trace_stop("error")
    finally:
        in_trace = False


cdef int call_sink(ev) except -1:
    """The callback runs where the event happened, with the budget
    lifted: a send() it makes must not yield from there."""
    cdef _ThreadState st = thread_state()
    cdef Scheduler s = st.sched
    cdef int budget
    if s is None:
        trace_sink(ev)
        return 0
    budget = s.budget
    s.budget = 1 << 30
    try:
        trace_sink(ev)
    finally:
        s.budget = budget
    return 0


cdef void trace_deliver(Process p, msg) noexcept:
    if trace_flags & TR_RECEIVE:
        trace_emit("receive", p.pid, None, msg)


cdef void trace_exit(Process p, reason) noexcept:
    if trace_flags & TR_EXIT:
        trace_emit("exit", p.pid, None, reason)


cdef void trace_send(dest, msg) noexcept:
    cdef Process me
    if not trace_flags & TR_SEND:
        return
    try:
        me = current_process_or_none()
    except BaseException:
        return
    if me is not None and me.pflags & P_TRACED:
        trace_emit("send", me.pid, dest, msg)


cdef void trace_link(Process me, Pid other) noexcept:
    if trace_flags & TR_LINK and me.pflags & P_TRACED:
        trace_emit("link", me.pid, other, None)


cdef void trace_spawn(Process child, fn) noexcept:
    cdef Process me
    try:
        me = current_process_or_none()
    except BaseException:
        me = None
    if trace_flags & TR_NEW:
        child.pflags |= P_TRACED
    if trace_flags & TR_SPAWN and me is not None and me.pflags & P_TRACED:
        trace_emit("spawn", me.pid, child.pid, fn)


cdef void trace_stop(str why) noexcept:
    global trace_flags, trace_sink, trace_sink_pid, trace_done
    cdef Process p
    trace_flags = 0
    for v in processes.values():
        p = <Process>v
        p.pflags &= ~P_TRACED
    done, trace_done = trace_done, None
    trace_sink = trace_sink_pid = None
    if done is not None:
        try:
            done(why)
        except BaseException:
            pass


def _trace_start(pids, unsigned int flags, sink, long long limit,
                 long long rate_n, double rate_window, done):
    """Start tracing (replacing a trace already running): pids the local
    actors to trace, flags the TR_* bits, sink a callable or a Pid."""
    global trace_flags, trace_sink, trace_sink_pid, trace_left, trace_done
    global trace_rate_n, trace_rate_window, trace_window_start
    global trace_window_count
    cdef Process p
    trace_stop("replaced")
    if type(sink) is Pid:
        trace_sink_pid = sink
    else:
        trace_sink = sink
    trace_left = limit
    trace_rate_n = rate_n
    trace_rate_window = rate_window
    trace_window_start = now()
    trace_window_count = 0
    trace_done = done
    for pid in pids:
        p = <Process>processes.get(pid)
        if p is not None:
            p.pflags |= P_TRACED
    trace_flags = flags


def _trace_stop():
    trace_stop("stopped")


def _trace_bits():
    return {"send": TR_SEND, "receive": TR_RECEIVE, "spawn": TR_SPAWN,
            "exit": TR_EXIT, "link": TR_LINK, "new": TR_NEW}


from cpython.mem cimport PyMem_Malloc, PyMem_Free


cdef inline double table_key(Process p, int col, double t):
    if col == 1:
        return p.reductions
    if col == 2:
        return mailbox_len(p)
    if col == 3:
        return t - p.pid.born
    if col == 4:
        return tasklet_saved(p) + tasklet_root_chunk(p)
    return <double>p.pid.id


def _top(int col, Py_ssize_t n):
    """The Pids of the n live local actors with the largest column col
    (0 pid, 1 reductions, 2 mailbox, 3 age, 4 saved stack and chunk), in
    one pass with a bounded heap: `actors top` over a million actors."""
    cdef Process p
    cdef double t = coarse_now() - runtime_start
    cdef double k, tmp
    cdef Py_ssize_t size = 0, i, c
    if n <= 0:
        return []
    cdef double *keys = <double *>PyMem_Malloc(n * sizeof(double))
    if keys == NULL:
        raise MemoryError()
    pids = [None] * n                     # a min-heap on keys, pids alongside
    try:
        for v in processes.values():
            p = <Process>v
            k = table_key(p, col, t)
            if size < n:
                i = size
                size += 1
                while i > 0 and keys[(i - 1) // 2] > k:   # sift up
                    keys[i] = keys[(i - 1) // 2]
                    pids[i] = pids[(i - 1) // 2]
                    i = (i - 1) // 2
                keys[i] = k
                pids[i] = p.pid
            elif k > keys[0]:
                i = 0                     # replace the root, sift down
                while True:
                    c = 2 * i + 1
                    if c >= size:
                        break
                    if c + 1 < size and keys[c + 1] < keys[c]:
                        c += 1
                    if keys[c] >= k:
                        break
                    keys[i] = keys[c]
                    pids[i] = pids[c]
                    i = c
                keys[i] = k
                pids[i] = p.pid
        out = sorted([(keys[i], pids[i]) for i in range(size)],
                     key=lambda e: e[0], reverse=True)
    finally:
        PyMem_Free(keys)
    return [e[1] for e in out]


def _observed():
    """False in a build made with ACTORS_OBSERVE=0 (benchmarks only: the
    counters, reductions, ticks and gauges' bookkeeping read zeros)."""
    return bool(OBSERVE)


def _alive():
    return len(processes)
