# The scheduler: one per thread, run by actors.run() or a System.  A run
# queue of actors, a timer heap, a poller for file descriptors and for
# wake-ups from other threads.  Every actor's parent is the scheduler's own
# tasklet: blocking switches back to it, and it switches to the next actor.

import heapq
import os
import select
import threading
import time

# epoll with one-shot registrations where the system has it: an fd stays
# registered between waits and a wait costs one epoll_ctl, not two.  poll()
# elsewhere (registered only while an actor waits).
cdef bint ONESHOT = hasattr(select, "epoll")
if ONESHOT:
    READ = select.EPOLLIN
    WRITE = select.EPOLLOUT
else:
    READ = select.POLLIN
    WRITE = select.POLLOUT

cdef extern from *:
    """
    #ifdef __linux__
    #include <sys/epoll.h>
    #endif
    typedef struct { int fd; } actors_epoll_event;
    /* epoll_wait with a zero timeout, the GIL held (it never blocks); the
     * fds are those Python's select.epoll registered (data.fd). */
    static int actors_epoll_peek(int epfd, actors_epoll_event *out, int max)
    {
    #ifdef __linux__
        struct epoll_event ev[64];
        int i, n;
        if (max > 64)
            max = 64;
        n = epoll_wait(epfd, ev, max, 0);
        for (i = 0; i < n; i++)
            out[i].fd = ev[i].data.fd;
        return n < 0 ? 0 : n;
    #else
        (void)epfd; (void)out; (void)max;
        return 0;
    #endif
    }
    """
    ctypedef struct actors_epoll_event:
        int fd
    int actors_epoll_peek(int epfd, actors_epoll_event *out, int max)

cdef extern from "<time.h>" nogil:
    ctypedef int clockid_t
    cdef struct timespec:
        long tv_sec
        long tv_nsec
    int clock_gettime(clockid_t clk, timespec *tp)
    clockid_t CLOCK_MONOTONIC

cdef enum:
    BUDGET = 1000       # sends/receives before a running actor yields
    # Direct handoffs between two visits of the loop: an actor that blocks
    # switches straight to the next suspended runnable one (one stack switch
    # instead of two through the loop), at most this many times before the
    # loop looks at timers, other threads, fds and the cluster's flush.
    HANDOFFS = 128
    BATCH = 64          # messages a class-style actor handles per start



cdef inline double now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


cdef extern from *:
    """
    #ifdef CLOCK_MONOTONIC_COARSE
    #define ACTORS_COARSE_CLOCK CLOCK_MONOTONIC_COARSE
    #else
    #define ACTORS_COARSE_CLOCK CLOCK_MONOTONIC
    #endif
    """
    clockid_t ACTORS_COARSE_CLOCK


cdef inline double coarse_now() noexcept nogil:
    """The clock at tick resolution (a few ms), several times cheaper than
    now(): enough for the busy loop's "time to look at the fds?"."""
    cdef timespec ts
    clock_gettime(ACTORS_COARSE_CLOCK, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


@cython.final
cdef class Timer:
    """A pending send_after(); cancel() stops it."""
    cdef object dest, msg
    cdef object owner           # the Pid that set it: its errors are its own
    cdef bint done

    def cancel(self):
        """True if the message was still pending and will not be sent."""
        if self.done:
            return False
        self.done = True
        self.dest = self.msg = None
        return True

    @property
    def active(self):
        return not self.done


# The deadlines of waits not yet in the timer heap (add_wait): C entries,
# so the deadline of an ask allocates no tuple, float or int.
cdef struct WaitEntry:
    double when
    PyObject *p                 # a strong reference to the Process
    unsigned int seq            # its wait_seq when the wait began

cdef struct WaitList:
    WaitEntry *items
    Py_ssize_t n, cap


cdef int waits_push(WaitList *w, double when, PyObject *p,
                    unsigned int seq) noexcept:
    """Append, taking a reference to p; -1 when out of memory."""
    cdef WaitEntry *items
    cdef Py_ssize_t cap
    if w.n == w.cap:
        cap = w.cap * 2 if w.cap else 64
        items = <WaitEntry *>PyMem_Realloc(w.items, cap * sizeof(WaitEntry))
        if items == NULL:
            return -1
        w.items = items
        w.cap = cap
    w.items[w.n].when = when
    w.items[w.n].p = p
    w.items[w.n].seq = seq
    Py_INCREF(p)
    w.n += 1
    return 0


cdef void waits_free(WaitList *w) noexcept:
    """Drop every entry and the memory (the list is detached first: a
    dropped reference may run code that adds a wait)."""
    cdef WaitList old = w[0]
    cdef Py_ssize_t i
    w.items = NULL
    w.n = w.cap = 0
    for i in range(old.n):
        Py_XDECREF(old.items[i].p)
    PyMem_Free(old.items)


@cython.final
cdef class Scheduler:
    cdef object runq            # deque of Process
    cdef list timers            # heap of (when, seq, Process|Timer, wait_seq)
    cdef long long timer_seq
    cdef Py_ssize_t stale_timers # entries of waits that ended early
    cdef WaitList new_waits     # deadlines of waits not yet in `timers`:
    cdef WaitList old_waits     # ... since this loop turn, since the last
    cdef WaitList spare_waits   # an empty list, the next new_waits
    cdef TaskletBase loop_tasklet
    cdef _ThreadState st
    cdef object inbox           # deque: what other threads ask of us
    cdef int wake_r, wake_w
    cdef bint sleeping
    cdef object poller          # select.epoll or select.poll
    cdef set armed              # fds registered with the poller
    cdef dict fd_waiters        # fd -> Process
    cdef dict fd_callbacks      # fd -> callable run in the loop (watch_fd)
    cdef list fd_again          # fds whose callback asked to run again
    cdef long long nprocs
    cdef int budget
    cdef object fatal           # KeyboardInterrupt/SystemExit from an actor
    cdef bint stopping
    cdef double last_poll       # when fds were last looked at
    cdef object flush_hook      # the cluster node's outbox flush
    cdef bint flush_wanted      # records are waiting for flush_hook
    cdef bint has_root
    cdef object root_result, root_reason
    cdef bint closed            # the loop has ended: posts are answered here
    cdef bint forked            # inherited by a fork()ed child: unusable
    # introspect.pxi: actors resumed (the watchdog's tick), seconds asleep
    # in the poller, the thread, when it started
    cdef unsigned long long ticks
    # introspect.pxi's gauges: actors with P_WAITING set; actors that may
    # hold mail while neither running nor queued (P_NOTED)
    cdef long long nwaiting
    cdef set mail_noted
    cdef int handoffs           # direct handoffs left before the loop runs
    cdef Process running        # the actor resumed last (loop or handoff)
    cdef double idle
    cdef unsigned long ident
    cdef double started

    def __cinit__(self):
        self.root_reason = NOTSET
        self.runq = deque()
        # Untracked (gc_quiet.h): it holds live actors, untracked themselves,
        # and a collection walking a million queued ones after a mass spawn
        # would only read their headers.  stop_scheduler empties it, so no
        # cycle through it outlives the scheduler's run.
        actors_gc_untrack(self.runq)
        self.mail_noted = set()           # untracked too, for the same reason
        actors_gc_untrack(self.mail_noted)
        self.timers = []
        self.inbox = deque()
        self.fd_waiters = {}
        self.fd_callbacks = {}
        self.fd_again = []
        self.open_poller()

    def __dealloc__(self):
        waits_free(&self.new_waits)
        waits_free(&self.old_waits)
        waits_free(&self.spare_waits)

    cdef int open_poller(self) except -1:
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.poller = select.epoll() if ONESHOT else select.poll()
        self.poller.register(self.wake_r, READ)
        self.armed = set()
        return 0

    cdef void close(self) noexcept:
        try:
            if ONESHOT:
                self.poller.close()
            os.close(self.wake_r)
            os.close(self.wake_w)
        except OSError:
            pass

    cdef inline void enqueue(self, Process p) noexcept:
        if not p.pflags & (P_QUEUED | P_EXITED):
            p.pflags |= P_QUEUED
            actors_dq_append(<PyObject *>self.runq, p)

    # -- from other threads ---------------------------------------------------

    cdef void post(self, Process p, msg) noexcept:
        if self.closed:                   # nobody will read the inbox
            dead_letter(p.pid, msg)       # (a Request is answered)
            return
        self.inbox.append((p, msg))
        self.poke()

    cdef void post_exit(self, Pid dest, Pid sender, reason) noexcept:
        if self.closed:
            return                        # its actors are gone
        self.inbox.append((None, (dest, sender, reason)))
        self.poke()

    cdef void post_call(self, fn) noexcept:
        """fn() runs in the loop; once the loop has ended, right here (fn
        must look at `closed`)."""
        if self.closed:
            try:
                fn()
            except Exception:
                log.exception("actors: error in a call to a stopped scheduler")
            return
        self.inbox.append((fn, None))
        self.poke()

    def _call_soon(self, fn):
        """post_call for the tasklet core, which cannot see this type: a
        kill queued for one of this thread's tasklets runs in the loop."""
        self.post_call(fn)

    cdef void poke(self) noexcept:
        # The GIL orders this against the loop, which sets `sleeping` before
        # its last look at the inbox: a wake-up is never lost.
        if self.sleeping:
            self.sleeping = False
            try:
                os.write(self.wake_w, b"x")
            except BlockingIOError:
                pass                      # a wake-up is pending already

    cdef int drain_inbox(self) except -1:
        cdef Process p
        inbox = self.inbox
        while inbox:
            target, msg = inbox.popleft()
            if target is None:
                exit_signal(msg[0], msg[1], msg[2])
            elif isinstance(target, Process):
                p = target
                if p.pflags & P_EXITED:
                    dead_letter(p.pid, msg)
                else:
                    deliver(p, msg)
            else:
                try:
                    target()
                except Exception:
                    log.exception("actors: error in a call from another "
                                  "thread")
        return 0

    cdef void answer_inbox(self) noexcept:
        """The loop has ended (closed is set): answer what other threads
        posted, so none of them waits for its timeout: a Request becomes
        ActorDeadError, a call runs here and sees `closed`."""
        inbox = self.inbox
        while inbox:
            target, msg = inbox.popleft()
            if isinstance(target, Process):
                dead_letter((<Process>target).pid, msg)
            elif target is not None:
                try:
                    target()
                except Exception:
                    log.exception("actors: error in a call to a stopped "
                                  "scheduler")

    # -- time -----------------------------------------------------------------

    cdef void add_timer(self, double when, obj, unsigned int wait_seq) noexcept:
        if self.stale_timers > 1024 and self.stale_timers * 2 > len(self.timers):
            self.compact_timers()
        self.timer_seq += 1
        heapq.heappush(self.timers, (when, self.timer_seq, obj, wait_seq))

    cdef void add_wait(self, double when, Process p) noexcept:
        """p's current wait ends at `when` at the latest.  Most waits with
        a deadline (every ask) end long before it: the deadline waits in a
        list for a whole turn of the loop, and only the waits still going
        on then pay for a place in the heap."""
        if waits_push(&self.new_waits, when, <PyObject *>p, p.wait_seq) < 0:
            self.add_timer(when, p, p.wait_seq)   # out of memory: at once

    cdef void file_waits(self, bint all) noexcept:
        """Put the waits of the turn before the last (all: every wait) in
        the heap, if they are still going on."""
        # Three lists take turns, so a loop turn allocates nothing.  Filing
        # drops references, which may run code that adds a wait: that goes
        # to new_waits, after the turn a buffer of its own.
        cdef WaitList filed = self.old_waits
        self.old_waits = self.new_waits
        self.new_waits = self.spare_waits      # empty
        self.spare_waits = filed               # empty once filed
        self.file_list(&self.spare_waits, all)
        if all:
            self.file_list(&self.old_waits, True)

    cdef void file_list(self, WaitList *waits, bint all) noexcept:
        cdef Process p
        cdef WaitEntry *e
        cdef Py_ssize_t i
        for i in range(waits.n):
            e = &waits.items[i]
            p = <Process>e.p
            if p.wait_seq == e.seq:
                if p.pflags & P_WAITING or all:
                    self.add_timer(e.when, p, e.seq)
                # woken: listed again, its wait ends when it runs
                elif waits_push(&self.new_waits, e.when, e.p, e.seq) < 0:
                    self.add_timer(e.when, p, e.seq)
            else:
                # It ended early, and its end counted a stale heap entry
                # that was never made.
                self.stale_timers -= 1
            p = None
            Py_XDECREF(e.p)
        waits.n = 0

    cdef void compact_timers(self) noexcept:
        """Drop the entries of waits that ended before their deadline (each
        holds its actor): they would pile up under many early replies."""
        cdef Process p
        live = []
        for entry in self.timers:
            obj = (<tuple>entry)[2]
            if type(obj) is Timer:
                if not (<Timer>obj).done:
                    live.append(entry)
            else:
                p = obj
                # (not P_WAITING: an actor woken by a message its receive()
                # turns down waits again, under the same deadline)
                if p.wait_seq == (<tuple>entry)[3]:
                    live.append(entry)
        heapq.heapify(live)
        self.timers = live
        self.stale_timers = 0

    cdef int fire_timers(self) except -1:
        cdef double t = now()
        cdef Process p
        cdef Timer tm
        timers = self.timers
        while timers and (<tuple>timers[0])[0] <= t:
            _, _, obj, wait_seq = heapq.heappop(timers)
            if type(obj) is Timer:
                tm = obj
                if not tm.done:
                    dest, msg, owner = tm.dest, tm.msg, tm.owner
                    tm.cancel()
                    tm.owner = None
                    try:
                        send(dest, msg)
                    except Exception as e:
                        timer_failed(owner, dest, e)
            else:
                p = obj
                if p.wait_seq == wait_seq and p.pflags & P_WAITING:
                    p.pflags |= P_TIMED_OUT
                    wake(p)
        return 0

    # -- the loop -------------------------------------------------------------

    cdef int resume(self, Process p) except -1:
        cdef PyObject *r
        if p.pflags & P_EXITED:
            return 0
        self.budget = BUDGET
        if OBSERVE:
            self.ticks += 1
        self.handoffs = HANDOFFS
        self.running = p
        r = switch_to(p, (), None, None)
        # Back in the loop: from p, or from the last actor that p's block()
        # handed the CPU to (block_target), which is `running` now.
        p = self.running
        self.running = None
        if OBSERVE:
            p.reductions += BUDGET + 1 - self.budget
        if r == NULL:
            return -1
        Py_XDECREF(r)
        if not tasklet_active(p) and p.pflags & P_CLASS and \
                not p.pflags & P_EXITED:
            tasklet_rearm(p)              # the batch is done
            if (p.mailbox is not None and actors_dq_len(<PyObject *>p.mailbox)) or \
                    p.pending_exit is not None:
                self.enqueue(p)
        return 0

    cdef int peek(self) except -1:
        """Look at the fds without sleeping and without letting go of the
        GIL.  Python's poll() releases the GIL even for a zero timeout; done
        every few milliseconds by a busy scheduler, that re-takes the GIL so
        often that a thread waiting for it never gets it (CPython's waiter
        asks for the GIL only after a whole switch interval without a
        switch)."""
        cdef actors_epoll_event events[64]
        cdef int i, n
        if not ONESHOT:
            return self.wait(0.0)
        self.last_poll = coarse_now()
        n = actors_epoll_peek(self.poller.fileno(), events, 64)
        for i in range(n):
            self.fd_ready(events[i].fd)
        return 0

    cdef int wait(self, double deadline) except -1:
        """Sleep in the poller until an fd, a timer or another thread."""
        self.sleeping = True
        if actors_dq_len(<PyObject *>self.inbox):
            self.sleeping = False
            return 0
        # Clamped: the pollers' int milliseconds overflow at ~24.8 days;
        # a far deadline costs one extra wake-up a day.
        timeout = -1.0 if deadline < 0 else \
            min(max(0.0, deadline - now()), LONGEST_WAIT)
        cdef double t0 = now() if OBSERVE else 0.0
        if ONESHOT:
            events = self.poller.poll(timeout)
        else:
            events = self.poller.poll(None if timeout < 0 else timeout * 1000)
        if OBSERVE:
            self.idle += now() - t0
        self.sleeping = False
        self.last_poll = coarse_now()
        for fd, mask in events:
            self.fd_ready(fd)
        return 0

    cdef int fd_ready(self, int fd) except -1:
        """fd is ready: drain the wake-up pipe, or wake the actor waiting
        for fd."""
        cdef Process p
        if fd == self.wake_r:
            try:
                while os.read(self.wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
            return 0
        if not ONESHOT:
            self.disarm(fd)
        cb = self.fd_callbacks.get(fd)
        if cb is not None:
            return self.call_fd(fd, cb)
        p = self.fd_waiters.pop(fd, None)
        if p is not None and p.pflags & P_WAITING:
            p.pflags |= P_IO_READY
            wake(p)
        return 0

    cdef int call_fd(self, int fd, cb) except -1:
        """Run a watched fd's callback in the loop's own context (no actor
        switch, no timer): a node's inbox costs one call per wake-up.  A true
        result means it stopped at a burst limit: it runs again after the
        actors it woke; otherwise the fd is armed again."""
        try:
            again = cb()
        except BaseException:
            log.exception("actors: error in the callback watching fd %d", fd)
            again = False
        if self.fd_callbacks.get(fd) is not cb:
            return 0                      # unwatched (or replaced) meanwhile
        if again:
            self.fd_again.append(fd)
        else:
            try:
                self.arm(fd, False)
            except (OSError, ValueError):
                # The callback closed its fd without unwatching it.
                log.exception("actors: fd %d is no longer watchable; "
                              "its callback is dropped", fd)
                self.fd_callbacks.pop(fd, None)
                self.armed.discard(fd)
        return 0

    cdef int run_fd_again(self) except -1:
        fds, self.fd_again = self.fd_again, []
        for fd in fds:
            cb = self.fd_callbacks.get(fd)
            if cb is not None:
                self.call_fd(fd, cb)
        return 0

    def watch_fd(self, int fd, callback):
        """Call callback() in the loop whenever fd turns readable (None:
        stop watching).  It must not block; it returns True when it left
        work for another call."""
        if callback is None:
            self.fd_callbacks.pop(fd, None)
            self.disarm(fd)
            return
        if fd in self.fd_waiters:
            raise ActorError("an actor waits for fd %d already" % fd)
        self.fd_callbacks[fd] = callback
        self.fd_again.append(fd)          # look once: it may be ready now

    cdef int arm(self, int fd, bint write) except -1:
        """Watch fd for its next readiness (once, with epoll)."""
        mask = WRITE if write else READ
        if ONESHOT:
            mask |= select.EPOLLONESHOT
        if fd in self.armed:
            try:
                self.poller.modify(fd, mask)
            except FileNotFoundError:     # closed meanwhile, number reused
                self.poller.register(fd, mask)
        else:
            try:
                self.poller.register(fd, mask)
            except FileExistsError:
                self.poller.modify(fd, mask)
            self.armed.add(fd)
        return 0

    cdef void disarm(self, int fd) noexcept:
        """Stop watching fd (poll() only: it would report it again and
        again; a fired one-shot epoll registration is already quiet)."""
        if fd in self.armed:
            self.armed.discard(fd)
            try:
                self.poller.unregister(fd)
            except (KeyError, OSError):
                pass

    cdef int loop(self) except -1:
        """Run until the root actor ended and every actor is gone (run()),
        or until stopped with nothing left (a System)."""
        cdef Process p
        cdef Py_ssize_t n
        cdef int rounds = 0
        runq = self.runq
        while True:
            if self.forked:
                raise ActorError(FORKED)
            if actors_dq_len(<PyObject *>self.inbox):
                self.drain_inbox()
            if self.old_waits.n or self.new_waits.n:
                self.file_waits(False)
            if self.timers:
                self.fire_timers()
            if self.fd_again:
                self.run_fd_again()
            if not self.stopping and (self.fatal is not None or (
                    self.has_root and self.root_reason is not NOTSET)):
                self.shutdown()
            # (the deques' sizes read directly: no truth-test call)
            n = actors_dq_len(<PyObject *>runq)
            if n:
                while n > 0 and actors_dq_len(<PyObject *>runq):
                    n -= 1
                    p = actors_dq_popleft(<PyObject *>runq)
                    p.pflags &= ~P_QUEUED
                    self.resume(p)
                if self.flush_wanted:
                    self.flush()
                if coarse_now() - self.last_poll > 0.005:
                    # Busy actors must not starve file descriptors (a
                    # node's heartbeats among them): look at them anyway.
                    self.peek()
                continue
            if self.stopping:
                if self.nprocs == 0:
                    return 0
                rounds += 1
                if rounds > 3:            # they refuse to end: abandon them
                    return 0
                self.shutdown()
                if actors_dq_len(<PyObject *>runq):
                    continue
            if self.flush_wanted:
                self.flush()
            if self.fd_again:
                continue
            if self.old_waits.n or self.new_waits.n:
                self.file_waits(True)
            self.wait((<tuple>self.timers[0])[0] if self.timers else -1.0)

    cdef void flush(self) noexcept:
        """Let the cluster node send what actors queued for other nodes
        during the batch that just ran: one frame per peer per batch."""
        self.flush_wanted = False
        if self.flush_hook is not None:
            try:
                self.flush_hook()
            except BaseException:
                log.exception("actors: error flushing to other nodes")

    def shutdown_call(self):
        self.shutdown()

    cdef void abort(self) noexcept:
        """The loop was left by an exception (a signal handler's SystemExit
        or KeyboardInterrupt while it slept in poll): end every actor here
        the usual way, so their finally blocks run and their names and
        groups are freed, before run() re-raises.  A further exception
        (another signal) restarts the teardown, a few times at most."""
        cdef int attempt
        for attempt in range(3):
            if self.nprocs == 0 or self.forked:
                return
            try:
                self.sleeping = False
                self.shutdown()
                self.loop()
                return
            except BaseException as e:
                log.warning("actors: %r while shutting actors down", e)

    cdef void shutdown(self) noexcept:
        """End every actor of this scheduler with reason 'shutdown', the
        youngest first."""
        cdef Process p
        self.stopping = True
        mine = [p for p in processes.values() if (<Process>p).sched is self]
        mine.sort(key=lambda q: (<Process>q).pid.id, reverse=True)
        for p in mine:
            try:
                kill(p, "shutdown")
            except BaseException:
                pass


cdef Timer new_timer(dest, msg):
    cdef Process me = current_process_or_none()
    cdef Timer t = Timer.__new__(Timer)
    t.dest = dest
    t.msg = msg
    t.owner = None if me is None else me.pid
    return t


cdef void timer_failed(owner, dest, e) noexcept:
    """A send_after() whose send raised: the actor that set the timer gets
    the error (it crashes with it), never the loop."""
    cdef Process p
    try:
        p = lookup(owner) if owner is not None else None
        if p is None:
            log.error("actors: a timer's send to %r failed", dest,
                      exc_info=(type(e), e, e.__traceback__))
        else:
            log.error("actors: %r's timer could not send to %r", owner, dest,
                      exc_info=(type(e), e, e.__traceback__))
            kill(p, e)
    except BaseException:
        pass


cdef set all_scheds = set()       # every running scheduler (for fork())

cdef str FORKED = ("this actor system was inherited across fork(): its "
                   "actors do not run in the child process (start a new "
                   "actors.run() there, from outside any actor)")


cdef Scheduler start_scheduler():
    cdef _ThreadState st = thread_state()
    if st.sched is not None:
        if (<Scheduler>st.sched).forked:
            raise ActorError(FORKED)
        raise ActorError("an actor system already runs in this thread")
    if tasklet_current(st) is not st.main:
        raise ActorError("start actors from a thread's main tasklet")
    cdef Scheduler s = Scheduler.__new__(Scheduler)
    s.st = st
    s.ident = threading.get_ident()
    s.started = now()
    s.loop_tasklet = st.main
    st.sched = s
    all_scheds.add(s)
    return s


cdef void stop_scheduler(Scheduler s) noexcept:
    """Detach s from its thread.  Actors it could not end (they refused
    'shutdown', or the teardown itself was interrupted) leave as if ended
    with 'shutdown': names freed, links and monitors told, the requests they
    hold answered with ActorDeadError; collecting them later throws
    TaskletExit into each, so their finally blocks still run."""
    cdef Process p
    s.st.sched = None
    all_scheds.discard(s)
    s.closed = True
    s.answer_inbox()
    if s.nprocs:
        for p in [p for p in processes.values() if (<Process>p).sched is s]:
            if not p.pflags & P_EXITED:
                process_exit(p, "shutdown", False)
            table_remove(p)
        s.answer_inbox()
        s.timers.clear()
        s.nprocs = 0
    waits_free(&s.new_waits)
    waits_free(&s.old_waits)
    s.runq.clear()                    # untracked: no cycle may stay in it
    s.mail_noted.clear()
    s.close()


cdef void forget_names(Process p) noexcept:
    """Free p's registered names and group memberships."""
    cdef _Extra x = p.extra
    if x is None:
        return
    for name in x.names or ():
        if names.get(name) == p.pid:
            del names[name]
    for g in x.groups or ():
        members_ = groups.get(g)
        if members_ is not None:
            members_.pop(p.pid, None)
            if not members_:
                del groups[g]
    x.names = x.groups = None


# -- fork() -------------------------------------------------------------------

cdef list fork_orphans = []


def _after_fork_child():
    """In a fork()ed child: no scheduler of the parent runs here (the
    other threads are gone, and the forking thread's loop would share the
    parent's epoll instance and wake-up pipe).  Every scheduler gets fds of
    its own and is marked forked: any use from an inherited actor raises
    ActorError.  The actor tables start empty, so a new actors.run() (from
    outside any actor) or System works.  The inherited actors are kept,
    never collected: collecting one would run its finally blocks, parent
    code, in the child."""
    global remote_router
    cdef Scheduler s
    fork_orphans.append(list(processes.values()))
    for s in list(all_scheds):
        fork_orphans.append((s, list(s.runq), s.timers, list(s.inbox)))
        s.forked = True
        s.closed = True
        try:
            s.close()
            s.open_poller()
        except BaseException:
            pass
        s.runq.clear()
        s.mail_noted.clear()
        s.timers = []
        s.inbox.clear()
        s.fd_waiters.clear()
        s.fd_callbacks.clear()
        s.fd_again = []
        s.nprocs = 0
        if s.st is not thread_state():    # its thread did not survive
            all_scheds.discard(s)
    table_clear()
    names.clear()
    groups.clear()
    remote_router = None                  # the node's sockets are the parent's


os.register_at_fork(after_in_child=_after_fork_child)


# -- the calling actor --------------------------------------------------------

cdef inline PyObject *running_process() except? NULL:
    """The calling actor, or NULL.  Borrowed, on every send and receive:
    the thread's state holds the running tasklet."""
    cdef PyObject *cur = <PyObject *>(<_ThreadState>thread_state_ptr()).current
    return cur if isinstance(<object>cur, Process) else NULL


cdef Process current_process_or_none():
    cdef PyObject *me = running_process()
    return None if me == NULL else <Process>me


cdef Process current_process():
    cdef PyObject *me = running_process()
    if me == NULL:
        raise ActorError("not inside an actor (use actors.run() or a System)")
    if (<Process>me).sched.forked:
        raise ActorError(FORKED)
    return <Process>me


cdef int block(Process p) except -1:
    """Give the CPU back to the scheduler until something wakes p; raise
    the exit signal that ended its wait, if one did."""
    cdef PyObject *r
    cdef PyObject *s = <PyObject *>p.sched
    if (<Scheduler>s).forked:
        raise ActorError(FORKED)
    r = switch_from(p, <TaskletBase>block_target_ptr(<Scheduler>s, p), (),
                    None, None)
    if r == NULL:
        if OBSERVE:
            clear_waiting(p)              # thrown out of its wait, unwoken
        return -1
    Py_XDECREF(r)
    if p.pending_exit is not None:
        raise _ExitSignal(take_exit(p))
    return 0


cdef PyObject *block_target(Scheduler s, Process p) noexcept:
    """Where p's block() switches: the loop, or straight to the next
    runnable actor when nothing else waits for the loop.  Only a suspended
    actor is handed the CPU: one not started yet would start on the stack
    below p's frames, and a chain of such starts would grow the C stack
    without bound.  The order is the loop's (the run queue's head).
    Borrowed: s holds it (loop_tasklet, running)."""
    cdef PyObject *runq = <PyObject *>s.runq
    cdef PyObject *q
    if s.handoffs <= 0 or actors_dq_len(runq) == 0 or \
            actors_dq_len(<PyObject *>s.inbox) != 0 or s.fd_again or \
            s.flush_wanted or s.stopping or s.fatal is not None or \
            s.running is not p:
        return <PyObject *>s.loop_tasklet
    q = actors_dq_popleft_ref(runq)       # (a peek costs as much)
    if q == <PyObject *>p or (<Process>q).pflags & P_EXITED or \
            not tasklet_active(<Process>q):
        (<object>runq).appendleft(<object>q)   # the loop takes it in turn
        Py_DECREF(q)
        return <PyObject *>s.loop_tasklet
    (<Process>q).pflags &= ~P_QUEUED
    s.handoffs -= 1
    if OBSERVE:
        p.reductions += BUDGET + 1 - s.budget
        s.ticks += 1
    s.budget = BUDGET
    Py_DECREF(running_handover(s, q))     # the queue's reference, to s.running
    return q


cdef extern from "handover.h":
    PyObject *running_handover "actors_running_handover" (Scheduler s,
                                                          PyObject *q) noexcept


# Through a pointer: not inlined into block(), whose frame every actor
# suspended in receive() keeps on its saved stack.
cdef PyObject *(*block_target_ptr)(Scheduler, Process) noexcept
block_target_ptr = block_target


cdef int yield_now(Process p) except -1:
    p.sched.enqueue(p)
    return block(p)


cdef inline int spend_on(Process p) except -1:
    """Every send and receive is a yield point once the budget is spent
    (p's scheduler is this thread's)."""
    p.sched.budget -= 1
    if p.sched.budget <= 0:
        budget_spent(p.sched)
    return 0


cdef int budget_spent(Scheduler s) except -1:
    # (resume() sets the budget afresh, and counts what was spent)
    cur = tasklet_current(s.st)
    if isinstance(cur, Process):
        yield_now(<Process>cur)
    return 0
