# The actor API: run, spawn, receive, ask, sleep, timers, fd waits, and the
# class-style Actor.

import signal

cdef class Actor(Process):
    """A class-style actor: subclass it, define receive(self, msg), start it
    with actors.spawn(MyActor, *args).  receive() handles one message; for
    an ask() its return value is the reply and its exception is raised in
    the asker.  A handler that returns without blocking never has its stack
    saved; it may block (ask, sleep, receive) like any actor."""

    def __init__(self, *args, **kwargs):
        pass

    def receive(self, msg):
        raise NotImplementedError("%s.receive(msg)" % type(self).__name__)

    cdef void _main(self) noexcept:
        cdef int n = 0
        reason = None
        crashed = False
        try:
            while self.mailbox is not None and \
                    actors_dq_len(<PyObject *>self.mailbox) != 0 and n < BATCH:
                if self.pending_exit is not None:
                    raise _ExitSignal(take_exit(self))
                msg = actors_dq_popleft(<PyObject *>self.mailbox)
                n += 1
                if OBSERVE:
                    counters.received += 1
                if type(msg) is Request:
                    try:
                        value = self.receive((<Request>msg).msg)
                    except BaseException as e:
                        if not isinstance(e, Exception):
                            # It ends while answering (an exit signal,
                            # SystemExit...): its asker holds no monitor.
                            if not (<Request>msg).replied:
                                (<Request>msg).answer(None, ActorDeadError(
                                    "%r ended before it replied" % (self.pid,)))
                            raise
                        if not (<Request>msg).replied:
                            (<Request>msg).answer(None, e)
                        continue
                    if not (<Request>msg).replied:
                        (<Request>msg).answer(value, None)
                else:
                    self.receive(msg)
            if self.pending_exit is not None:
                raise _ExitSignal(take_exit(self))
            return                        # the batch is done; it stays alive
        except _ExitSignal as e:
            reason = e.reason
        except BaseException as e:
            reason = e
            crashed = True
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                self.sched.fatal = e
        process_exit(self, reason, crashed)


def self():
    """The Pid of the calling actor."""
    return current_process().pid


cdef Process new_process(Scheduler s, fn, tuple args, dict kwargs):
    cdef Process p
    if isinstance(fn, type) and issubclass(fn, Actor):
        p = fn(*args, **kwargs)
        p.pflags |= P_CLASS
    elif isinstance(fn, type) and issubclass(fn, Tasklet):
        raise TypeError("spawn() takes a function or an Actor subclass, "
                        "not the tasklet type %s" % fn.__name__)
    elif callable(fn):
        p = Process.__new__(Process)
        # No keyword arguments: None, not the empty dict spawn's **kwargs
        # made (no dict kept per actor; CPython 3.14+ tracks even an empty
        # one).
        p.start = (fn, args, kwargs if kwargs else None)
        # Private to p until it starts (or ends): untracked like p itself,
        # so a mass spawn leaves no million tracked tuples to collections.
        # args and kwargs are fresh (built by spawn's *args, **kwargs) and
        # stay on the actor's saved C stack until it ends: untracked too.
        actors_gc_untrack(p.start)
        if args:
            actors_gc_untrack(args)
        if kwargs:
            actors_gc_untrack(kwargs)
    else:
        raise TypeError("spawn() needs a callable or an Actor subclass, "
                        "not %r" % (fn,))
    tasklet_prepare(p, s.loop_tasklet)
    p.sched = s
    p.pid = new_pid()
    if OBSERVE:
        p.pid.born = <float>(coarse_now() - runtime_start)
    table_add(p)
    actors_gc_untrack(p)
    s.nprocs += 1
    s.enqueue(p)
    if OBSERVE and trace_flags:
        trace_spawn(p, fn)
    return p


cdef Scheduler this_scheduler():
    cdef _ThreadState st = thread_state()
    if st.sched is None:
        raise ActorError("no actor system runs in this thread "
                         "(use actors.run() or a System)")
    if (<Scheduler>st.sched).forked:
        raise ActorError(FORKED)
    return st.sched


def spawn(fn, *args, node=None, mailbox=None, **kwargs):
    """Start an actor running fn(*args, **kwargs), or an instance of the
    Actor subclass fn(*args, **kwargs); returns its Pid.  node= starts it on
    another node of the cluster (fn must be importable there), "any" on the
    least loaded one.  mailbox=N bounds its mailbox (see bound.pxi; an
    Actor class may say `mailbox = N` instead)."""
    if node is not None:
        if remote_router is None:
            raise ActorError("spawn(node=...) needs a cluster node")
        if mailbox is not None:
            raise TypeError("spawn(node=..., mailbox=...): give the Actor "
                            "class a `mailbox` attribute instead")
        return remote_router.spawn(node, fn, args, kwargs)
    return bounded(new_process(this_scheduler(), fn, args, kwargs), fn,
                   mailbox).pid


cdef Process bounded(Process p, fn, spec):
    spec = bound_spec(fn, spec)
    if spec is not None:
        set_bound(p, spec)
    return p


def spawn_link(fn, *args, mailbox=None, **kwargs):
    """spawn() and link() as one step."""
    cdef Process me = current_process()
    pid = bounded(new_process(me.sched, fn, args, kwargs), fn, mailbox).pid
    link(pid)
    return pid


def spawn_monitor(fn, *args, mailbox=None, **kwargs):
    """spawn() and monitor() as one step: (pid, ref)."""
    cdef Process me = current_process()
    pid = bounded(new_process(me.sched, fn, args, kwargs), fn, mailbox).pid
    return pid, monitor(pid)


# -- receive ------------------------------------------------------------------

cdef object give_up(default, timeout):
    if default is NOTSET:
        raise Timeout("no message within %s s" % (timeout,))
    return default


cdef object taken(Process p, msg):
    """A Request is remembered (its asker holds no monitor on p: an actor
    of this thread, another thread, an event loop, an actor on another
    node), so that if p ends without answering, the asker learns it at
    once."""
    cdef list reqs
    if OBSERVE:
        counters.received += 1
    if type(msg) is Request:
        reqs = p.more().requests
        if reqs is None:
            reqs = p.extra.requests = []
        elif len(reqs) >= 32:
            reqs[:] = [r for r in reqs if not r.replied]
        reqs.append(msg)
    return msg


cdef object take_match(Process p, match, bint cheap, Py_ssize_t *scanned):
    """Remove and return the first message from index scanned[0] on that
    match accepts; NOTSET if none (scanned[0] is then the mailbox's
    length)."""
    cdef Py_ssize_t i = scanned[0]
    mb = p.mailbox
    if mb is None or actors_dq_len(<PyObject *>mb) == 0:
        return NOTSET
    if match is None:
        return actors_dq_popleft(<PyObject *>mb)
    if cheap:                             # no user code: iterate
        if i == 0:
            for msg in mb:
                if matches(match, msg):
                    del mb[i]
                    return msg
                i += 1
        else:
            for i in range(i, len(mb)):
                msg = mb[i]
                if matches(match, msg):
                    del mb[i]
                    return msg
            i = len(mb)
        scanned[0] = i
        return NOTSET
    # A predicate is the caller's code: it may send to this very actor (the
    # mailbox grows under the scan, so index it, never iterate) but not
    # receive or sleep (P_MATCHING: that would take messages from under the
    # scan).
    p.pflags |= P_MATCHING
    try:
        while i < len(mb):
            msg = mb[i]
            if matches(match, msg):
                if mb[i] is msg:
                    del mb[i]
                else:                     # it removed one (demonitor)
                    remove_identical(mb, msg)
                return msg
            i += 1
    finally:
        p.pflags &= ~P_MATCHING
    scanned[0] = i
    return NOTSET


cdef void remove_identical(mb, msg) noexcept:
    cdef Py_ssize_t i = 0
    for m in mb:
        if m is msg:
            del mb[i]
            return
        i += 1


cdef int not_matching(Process p, str what) except -1:
    if p.pflags & P_MATCHING:
        raise ActorError("%s inside a receive() matcher: a matcher only "
                         "looks at the message it is given" % what)
    return 0


def receive(match=None, timeout=None, default=NOTSET):
    """The next message of the calling actor's mailbox, waiting for one.
    match (a type, a tuple of types or a predicate) takes the first message
    it accepts and leaves the others in order; a predicate may send but not
    receive or sleep.  After timeout seconds (0 polls; None or inf waits
    forever) raise Timeout, or return default if given."""
    # One function down to block(): its frame is on the saved stack of
    # every actor parked here (ask_reply is its twin for ask()).
    cdef Process p = current_process()
    cdef Py_ssize_t scanned = 0
    cdef double t = FOREVER
    cdef bint cheap = match is None or type(match) is _AskMatch
    if timeout is not None:
        t = seconds_arg(timeout, "timeout", True)
    if not cheap:
        cheap = cheap_matcher(match)      # TypeError for a bad matcher
    not_matching(p, "receive()")
    spend_on(p)
    msg = take_match(p, match, cheap, &scanned)
    if msg is not NOTSET:
        return taken(p, msg)
    if t == 0:
        return no_match(match, default, timeout)
    begin_wait(p, match, t)
    try:
        while True:
            if OBSERVE:
                if scanned:               # it leaves unmatched mail
                    note_mail(p)
                # (P_WAITING is clear: a running actor never has it; an
                # exception out of block() uncounts it there, see end_wait)
                p.sched.nwaiting += 1
            p.pflags = (p.pflags | P_WAITING) & ~(P_TIMED_OUT | P_CHEAP)
            if cheap:
                p.pflags |= P_CHEAP
            block(p)
            if p.pflags & P_GIVEN:        # (match is None: see deliver)
                p.pflags &= ~P_GIVEN
                msg = p.matcher
                return taken(p, msg)
            msg = take_match(p, match, cheap, &scanned)
            if msg is not NOTSET:
                return taken(p, msg)
            if p.pflags & P_TIMED_OUT:
                return no_match(match, default, timeout)
    finally:
        end_wait(p, t)


cdef object ask_reply(Process p, _AskMatch m, double t, timeout):
    """ask()'s receive(m, timeout), without a Python call."""
    cdef Py_ssize_t scanned = 0
    spend_on(p)
    msg = take_match(p, m, True, &scanned)
    if msg is not NOTSET or t == 0:
        return taken(p, msg) if msg is not NOTSET else \
            no_match(m, NOTSET, timeout)
    begin_wait(p, m, t)
    try:
        while True:
            if OBSERVE:                   # (as in receive())
                if scanned:
                    note_mail(p)
                p.sched.nwaiting += 1
            p.pflags = (p.pflags | P_WAITING | P_CHEAP) & ~P_TIMED_OUT
            block(p)
            msg = take_match(p, m, True, &scanned)
            if msg is not NOTSET:
                return taken(p, msg)
            if p.pflags & P_TIMED_OUT:
                return no_match(m, NOTSET, timeout)
    finally:
        end_wait(p, t)


cdef object no_match(match, default, timeout):
    """A receive() that timed out: default, or Timeout raised."""
    if type(match) is _AskMatch:
        counters.ask_timeouts += 1
    return give_up(default, timeout)


cdef int begin_wait(Process p, match, double t) except -1:
    """p waits (for match) t seconds at most (FOREVER: no limit)."""
    p.wait_seq += 1
    if t >= 0:
        p.sched.add_wait(now() + t, p)
    p.matcher = match
    return 0


cdef void end_wait(Process p, double t) noexcept:
    if t >= 0 and not p.pflags & P_TIMED_OUT:
        p.sched.stale_timers += 1         # its timer is stale now
    if p.pflags & P_GIVEN:                # an exception left block()
        give_back(p)
    p.matcher = None
    # P_WAITING is clear here, and uncounted, unless an exception left
    # block(), which uncounted it then: no test on every receive.
    p.pflags &= ~(P_WAITING | P_TIMED_OUT | P_CHEAP)
    p.wait_seq += 1


def sleep(seconds):
    """Suspend the calling actor; sleep(0) (or less) just yields, inf sleeps
    until the actor is ended.  Outside an actor, time.sleep()."""
    cdef double t = seconds_arg(seconds, "seconds", False)
    cdef Process p = current_process_or_none()
    cdef double deadline
    if p is None:
        if t == 0:
            time.sleep(0)
            return
        # time.sleep() refuses inf and very large values: sleep a day at
        # a time.
        deadline = deadline_in(t)
        while True:
            left = LONGEST_WAIT if deadline < 0 else deadline - now()
            if left <= 0:
                return
            time.sleep(min(left, LONGEST_WAIT))
    if p.sched.forked:
        raise ActorError(FORKED)
    not_matching(p, "sleep()")
    if t == 0:
        yield_now(p)
        return
    wait_event(p, t, -1, False)


cdef bint wait_event(Process p, double t, int fd, bint write) except -1:
    """Block p for t seconds (FOREVER: no limit) or until fd's events; True
    if the fd became ready."""
    not_matching(p, "waiting")
    if fd >= 0 and (fd in p.sched.fd_waiters or fd in p.sched.fd_callbacks):
        raise ActorError("another actor already waits for fd %d" % fd)
    begin_wait(p, SLEEPING, t)
    try:
        if OBSERVE and p.mailbox:         # its mail waits while it sleeps
            note_mail(p)
        if fd >= 0:
            p.sched.arm(fd, write)
            p.sched.fd_waiters[fd] = p
        set_waiting(p)
        p.pflags &= ~(P_TIMED_OUT | P_IO_READY)
        while p.pflags & P_WAITING:
            block(p)
        return bool(p.pflags & P_IO_READY)
    finally:
        if fd >= 0 and p.sched.fd_waiters.get(fd) is p:
            del p.sched.fd_waiters[fd]
            if not ONESHOT:
                p.sched.disarm(fd)
        clear_waiting(p)
        p.pflags &= ~P_IO_READY
        end_wait(p, t)


def wait_readable(fd, timeout=None):
    """Suspend the calling actor until fd is readable; False on timeout."""
    cdef Process p = current_process()
    cdef double t = seconds_arg(timeout, "timeout", True)
    return wait_event(p, t,
                      fd if isinstance(fd, int) else fd.fileno(), False)


def wait_writable(fd, timeout=None):
    """Suspend the calling actor until fd is writable; False on timeout."""
    cdef Process p = current_process()
    cdef double t = seconds_arg(timeout, "timeout", True)
    return wait_event(p, t,
                      fd if isinstance(fd, int) else fd.fileno(), True)


def send_after(seconds, dest, msg):
    """Send msg to dest (a Pid or a registered name) after seconds (inf:
    never); returns a Timer to cancel it."""
    cdef double secs = seconds_arg(seconds, "seconds", False)
    cdef Scheduler s = this_scheduler()
    if type(dest) is not Pid and not isinstance(dest, str):
        raise TypeError("send_after() sends to a Pid or a registered name, "
                        "not %s" % type(dest).__name__)
    cdef Timer t = new_timer(dest, msg)
    if secs >= 0:                         # inf: a timer that never fires
        s.add_timer(now() + secs, t, 0)
    return t


# -- ask ----------------------------------------------------------------------

cdef class _ThreadWaiter:
    """The reply slot of an ask() from outside the target's thread."""
    cdef object event, value, exc

    def __cinit__(self):
        self.event = threading.Event()

    def deliver(self, value, exc):
        self.value = value
        self.exc = exc
        self.event.set()

    cdef object wait(self, timeout):
        if not _wait_event(self.event, timeout):
            counters.ask_timeouts += 1
            raise Timeout("no reply within %s s" % (timeout,))
        if self.exc is not None:
            raise self.exc
        return self.value


cdef Process ask_target(dest):
    cdef Process p = lookup(dest)
    if p is None:
        raise ActorDeadError("%r is not alive" % (dest,))
    return p


cdef object reply_value(r, Pid pid):
    """What ask() returns for what its selective receive got: the reply's
    value, its exception raised, or ActorDeadError for the target's Down."""
    if type(r) is _Reply:
        if (<_Reply>r).exc is not None:
            raise (<_Reply>r).exc
        return (<_Reply>r).value
    raise ActorDeadError("%r ended (%r) before it replied" % (pid, r[2]))


cdef object ask_remote(Pid pid, msg, timeout):
    """ask() of an actor on another node, from an actor.  No monitor: the
    other node answers a request its actor cannot (it is gone, or ends
    before it replies) with ActorDeadError, and a lost node ends the asks
    waiting on it (_node_down); one record each way."""
    cdef Process me = current_process_or_none()
    if me is None:
        raise ActorError("ask() of a remote actor works from inside an actor")
    cdef _AskMatch m = _AskMatch.__new__(_AskMatch)
    m.ref = Ref()
    m.mref = Ref()
    m.target = pid                        # askcycle.pxi: probes follow it
    if remote_router is None or \
            not remote_router.ask(pid, msg, me.pid.id, m.ref.id):
        raise ActorDeadError("%r: its node is not connected" % (pid,))
    waiting = remote_asks.get(pid.node)
    if waiting is None:
        waiting = remote_asks[pid.node] = {}
    waiting[m.mref] = (me.pid, pid)
    asking(me, m.ref)
    try:
        r = receive(m, timeout)
    finally:
        done_asking(me)
        waiting.pop(m.mref, None)
    return reply_value(r, pid)


def ask(dest, msg, timeout=5.0):
    """Send msg to dest and wait for its reply: an Actor's receive() return
    value (its exception is raised here), or what a process-style actor
    passes to Request.reply().  Works inside actors and from any thread.
    Raises ActorDeadError if dest is not alive or ends first, Timeout after
    timeout seconds (None or inf: no limit)."""
    cdef double t = seconds_arg(timeout, "timeout", True)
    pid = resolve(dest)
    if pid is not None and (<Pid>pid).node != 0:
        return ask_remote(pid, msg, timeout)
    cdef Process target = ask_target(dest)
    cdef Process me = current_process_or_none()
    cdef _ThreadWaiter w
    cdef _AskMatch m
    cdef list chain = None
    if me is None:
        if tasklet_here(target):
            raise ActorError("ask() from the scheduler's own thread outside "
                             "an actor would wait for itself")
        w = _ThreadWaiter.__new__(_ThreadWaiter)
        target.sched.post(target, Request(msg, w, None))
        return w.wait(timeout)
    if OBSERVE and target.pflags & P_WAITING and \
            type(target.matcher) is _AskMatch:
        chain = []                        # askcycle.pxi
        if not refuse_ask_cycle(me, target, chain):
            chain = None
    m = _AskMatch.__new__(_AskMatch)
    m.ref = Ref()
    m.target = target.pid
    if chain is not None:                 # the chain goes on on another node
        chase_remote(chain, (<Ref>m.ref).id)
    # A monitor only for a target on another thread: one on this thread
    # that ends without answering answers at its end (process_exit: the
    # requests in its mailbox and those it took; an Actor's batch: the one
    # it handles), and on this thread no actor outlives its scheduler.
    if tasklet_thread(target) is not tasklet_thread(me):
        m.mref = monitor(target.pid)
    asking(me, m.ref)                     # (its send may yield: see deliver)
    try:
        send_to(target, target.pid, new_request(msg, me.pid, m.ref))
        r = ask_reply(me, m, t, timeout)
    finally:
        done_asking(me)
        if m.mref is not None:
            demonitor(m.mref, True)
    return reply_value(r, target.pid)


def _post_request(dest, msg, waiter):
    """For ask_async(): deliver Request(msg) whose reply goes to
    waiter.deliver(value, exc), from any thread."""
    cdef Process target = ask_target(dest)
    req = Request(msg, waiter, None)
    if tasklet_here(target):
        deliver(target, req)
    else:
        target.sched.post(target, req)


# -- running a system ---------------------------------------------------------

cdef object core_sigint = None    # the last handler catch_sigint installed


cdef object catch_sigint(Scheduler s):
    """Ctrl-C while actors run: Python raises KeyboardInterrupt in whatever
    code runs when the handler fires, which may be code that must not fail
    half-way.  In the main thread, with Python's default handler in place,
    a handler that only marks the scheduler replaces it; the loop then shuts
    the actors down and run() raises KeyboardInterrupt.  Returns the handler
    to put back, or None."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return None
    global core_sigint
    def interrupted(signum, frame):
        if s.fatal is None:
            s.fatal = KeyboardInterrupt()
        s.sleeping = True                 # make poke() write the wake-up
        s.poke()
    core_sigint = interrupted
    return signal.signal(signal.SIGINT, interrupted)


def _core_sigint_handler():
    """The SIGINT handler run() installed last (None if it installed none):
    a layer that stops more gracefully (a cluster node) may replace it
    while it runs, and leaves a user's own handler alone."""
    return core_sigint


def run(main, *args, node=None, **kwargs):
    """Run main(*args, **kwargs) as the first actor of a scheduler in this
    thread and return its result (or raise its exception) once it ends;
    actors still alive then are shut down with reason 'shutdown'.  With
    node=NodeConfig(...) this scheduler is a cluster node while main runs
    (the node layer plugs in with _set_node_runner)."""
    if node is not None:
        if node_runner is None:
            raise ActorError("run(node=...) needs a cluster layer "
                             "(_set_node_runner)")
        return run(node_runner, node, main, args, kwargs)
    global core_sigint
    cdef Scheduler s = start_scheduler()
    cdef Process root
    previous = catch_sigint(s)
    try:
        root = new_process(s, main, args, kwargs)
        root.pflags |= P_ROOT
        s.has_root = True
        try:
            s.loop()
        except BaseException:
            s.abort()                     # every actor ends, then re-raise
            raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
            core_sigint = None
        stop_scheduler(s)
    if s.fatal is not None:
        raise s.fatal
    reason = s.root_reason
    if reason == "normal":
        return s.root_result
    if isinstance(reason, BaseException) and not isinstance(reason, _ExitSignal):
        raise reason
    raise ActorError("the main actor was ended by an exit signal (%r)"
                     % (reason,))


def _serve(ready):
    """Run a scheduler in this thread until _stop(); ready(handle) is called
    once it runs.  Used by System."""
    cdef Scheduler s = start_scheduler()
    try:
        ready(s)
        try:
            s.loop()
        except BaseException:
            s.abort()
            raise
    finally:
        stop_scheduler(s)
    if s.fatal is not None:
        # An actor's sys.exit() or KeyboardInterrupt stopped the system:
        # the System reports it (stop() raises it), as run() would.
        raise s.fatal


def _stop(Scheduler s):
    """Ask a scheduler (from any thread) to shut its actors down and end."""
    s.post_call(s.shutdown_call)



def _spawn_in(Scheduler s, fn, args, kwargs):
    """Spawn on scheduler s from another thread; returns the Pid."""
    done = threading.Event()
    box = []
    def make():
        try:
            if s.closed or s.stopping:
                raise ActorError("the System is stopping")
            box.append(new_process(s, fn, args, kwargs).pid)
        except BaseException as e:
            box.append(e)
        done.set()
    s.post_call(make)
    # make() runs in the loop, or (once the loop has ended) in whichever
    # thread answers the inbox: the wait ends either way.  The bound is a
    # backstop against a loop that is wedged (an actor that never yields).
    while not done.wait(1.0):
        if s.closed and not done.wait(1.0):
            raise ActorError("the System stopped")
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _stack_saved(pid):
    """Bytes of C stack a suspended actor keeps on the heap (benchmarks)."""
    cdef Process p = lookup(pid)
    return None if p is None else tasklet_saved(p)


def _root_chunk(pid):
    """Bytes of a live actor's root frame-stack chunk (tests, benchmarks)."""
    cdef Process p = lookup(pid)
    return None if p is None else tasklet_root_chunk(p)
