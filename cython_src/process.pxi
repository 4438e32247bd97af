# Actors: a process is a tasklet with a mailbox.  Pids, refs, the process
# table, links, monitors, exit signals, the registry and groups.

from collections import deque, namedtuple
import itertools
import logging
from types import UnionType
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM

cdef extern from "deque_fast.h":
    void actors_dq_init(object deque_type)
    # The deque borrowed (a cast attribute: no count changes around a call)
    int actors_dq_append(PyObject *dq, object item) except -1
    object actors_dq_popleft(PyObject *dq)
    PyObject *actors_dq_popleft_ref "actors_dq_popleft" (PyObject *dq)
    Py_ssize_t actors_dq_len(PyObject *dq)

actors_dq_init(deque)
# A function made by the interpreter (Cython's are not), whose vectorcall
# slot is the one every plain Python function has.
actors_call_start_init(eval("lambda: None"))

cdef extern from "gc_quiet.h":
    # A live actor is untracked while the process table holds it (why: in
    # gc_quiet.h); new_process untracks, process_exit tracks again.
    void actors_gc_untrack(object o)
    void actors_gc_retrack(object o)

log = logging.getLogger("actors")
cdef object NOTSET = object()
cdef object SLEEPING = object()   # the matcher of a sleep or fd wait
cdef object NONE_REASON = object()  # pending_exit for the reason None

Down = namedtuple("Down", "ref pid reason", module="actors")
Down.__doc__ = "A monitored actor ended: Down(ref, pid, reason)."
Exit = namedtuple("Exit", "pid reason", module="actors")
Exit.__doc__ = "An exit signal received while trapping exits: Exit(pid, reason)."


class ActorError(Exception):
    """Bad use of the actor runtime."""


class ActorDeadError(ActorError):
    """The actor asked is not alive (or died before it replied)."""


class NameTakenError(ActorError):
    """register() of a name another live actor holds."""


class Timeout(Exception):
    """receive() or ask() ran out of time."""


class _ExitSignal(BaseException):
    """Raised inside an actor that an exit signal ends."""
    def __init__(self, reason):
        BaseException.__init__(self, reason)
        self.reason = reason


cdef enum:
    # Process.pflags
    P_QUEUED = 1        # in its scheduler's run queue
    P_WAITING = 2       # blocked in receive(), sleep() or an fd wait
    P_TIMED_OUT = 4     # the wait's timer fired
    P_TRAP = 8          # exit signals arrive as Exit messages
    P_EXITED = 16
    P_CLASS = 32        # a class-style Actor: one tasklet start per batch
    P_ROOT = 128        # the main actor of actors.run()
    P_IO_READY = 256    # the fd it waits for is ready
    P_MATCHING = 512    # running a receive predicate: no receive/sleep now
    P_CHEAP = 1024      # its receive's matcher runs no user code
    P_TRACED = 2048     # actors.trace() reports its events (introspect.pxi)
    P_NOTED = 4096      # in its scheduler's mail_noted (introspect.pxi)
    P_GIVEN = 8192      # woken with a message in `matcher` (see deliver)
    P_ASKING = 16384    # in ask(): a reply is awaited for `ask_id`

cdef long long pid_counter = 0
cdef long long ref_counter = 0
cdef dict processes = {}          # Pid -> Process, every live actor
cdef dict names = {}              # name -> Pid
cdef dict groups = {}             # group -> {Pid: None}, in join order
cdef object dead_letter_log = deque(maxlen=100)
cdef long long dead_letter_count = 0


@cython.final
cdef class Pid:
    """An actor's handle: cheap, hashable, ordered, picklable; it stays
    valid after the actor ends (sends to it become dead letters)."""
    cdef readonly int node
    # When its actor was spawned (seconds from the runtime's start; 0 for
    # the Pid of a remote actor): introspect.pxi's age.  Between node and
    # id it fills padding, so it costs no memory.
    cdef float born
    cdef readonly long long id

    def __hash__(self):
        return <Py_hash_t>(self.id ^ (<long long>self.node << 40))

    def __richcmp__(self, other, int op):
        if not isinstance(other, Pid):
            return NotImplemented
        if op == 2 or op == 3:            # (dict lookups, matchers: no tuples)
            return (op == 2) == ((<Pid>other).id == self.id and
                                 (<Pid>other).node == self.node)
        a = (self.node, self.id)
        b = ((<Pid>other).node, (<Pid>other).id)
        if op == 0: return a < b
        if op == 1: return a <= b
        if op == 2: return a == b
        if op == 3: return a != b
        if op == 4: return a > b
        return a >= b

    def __repr__(self):
        return "<Pid %d.%d>" % (self.node, self.id)

    def __reduce__(self):
        ident = node_table[self.node]
        if ident is None:                 # not in a cluster
            return (_pid, (self.node, self.id))
        return (_pid_at, (ident[0], ident[1], self.id))

    def send(self, msg):
        """actors.send(self, msg)."""
        send(self, msg)

    def ask(self, msg, timeout=5.0):
        """actors.ask(self, msg, timeout)."""
        return ask(self, msg, timeout)

    @property
    def alive(self):
        """True while the actor runs (for a remote actor: while its node is
        connected and has not reported its end)."""
        return self in processes if self.node == 0 else \
            node_table[self.node] is not None and remote_router is not None \
            and remote_router.alive(self)


def _pid(int node, long long id):
    cdef Pid p = Pid.__new__(Pid)
    p.node = node
    p.id = id
    return p


cdef Pid new_pid():
    global pid_counter
    pid_counter += 1
    return _pid(0, pid_counter)


@cython.final
cdef class Ref:
    """A unique reference (monitors, asks); unique across a cluster."""
    cdef readonly int node
    cdef readonly long long id

    def __cinit__(self):
        global ref_counter
        ref_counter += 1
        self.id = ref_counter

    def __hash__(self):
        return <Py_hash_t>(self.id ^ (<long long>self.node << 40))

    def __richcmp__(self, other, int op):
        same = isinstance(other, Ref) and (<Ref>other).id == self.id and \
            (<Ref>other).node == self.node
        if op == 2:
            return same
        if op == 3:
            return not same
        return NotImplemented

    def __repr__(self):
        return "<Ref %d.%d>" % (self.node, self.id)

    def __reduce__(self):
        ident = node_table[self.node]
        if ident is None:
            return (_ref, (self.node, self.id))
        return (_ref_at, (ident[0], ident[1], self.id))


def _ref(int node, long long id):
    cdef Ref r = Ref.__new__(Ref)
    r.node = node
    r.id = id
    return r


@cython.final
cdef class _Extra:
    """What few actors have: links, monitors, names, groups."""
    cdef set links              # Pids
    cdef dict monitors          # Ref -> Pid I watch
    cdef list watchers          # [Ref, Pid watching me, ...], flat
    cdef list names
    cdef list groups
    cdef list requests          # taken by receive(), answered from a thread
    cdef Py_ssize_t bound       # mailbox bound, 0: none (bound.pxi)
    cdef double bound_wait      # seconds a sender waits for room


cdef class Process(TaskletBase):
    """A process-style actor: a tasklet that runs fn(*args, **kwargs) with
    a mailbox.  Created by spawn(), never directly."""
    cdef readonly Pid pid
    cdef object mailbox         # deque, created with the first message
    cdef object matcher         # what the blocked receive() waits for
    cdef _Extra extra
    cdef tuple start            # (fn, args, kwargs) until it starts
    cdef object pending_exit    # reason of an exit signal not yet raised
    cdef unsigned int pflags
    cdef unsigned int wait_seq  # tells a stale timer from the current wait
    cdef unsigned int reductions  # its count of work (introspect.pxi)
    cdef unsigned int ask_id    # its ask's Ref id, low bits (P_ASKING)
    cdef ActorCore core         # its TaskletBase's state (tasklet.pxi)
    cdef Scheduler sched

    cdef PyObject *first_callable(self) noexcept:
        return NULL if self.start is None else PyTuple_GET_ITEM(self.start, 0)

    cdef _Extra more(self):
        if self.extra is None:
            self.extra = _Extra.__new__(_Extra)
        return self.extra

    cdef void _main(self) noexcept:
        # No try/except here: its frame stays on every parked actor's saved
        # stack, and Cython's exception bookkeeping would make it larger.
        cdef PyObject *r
        reason = "normal"
        crashed = False
        if self.pending_exit is not None:
            reason = take_exit(self)
        else:
            fn, args, kwargs = self.start
            self.start = None
            # Through the C API: no frame of ours in the actor's traceback.
            r = actors_call_start(<PyObject *>fn, <PyObject *>args,
                                  NULL if not kwargs else <PyObject *>kwargs)
            del fn, args, kwargs
            if r == NULL:
                reason, crashed = exit_reason(self, actors_fetch_error())
            else:
                if self.pflags & P_ROOT:
                    self.sched.root_result = <object>r
                Py_XDECREF(r)
        process_exit(self, reason, crashed)

    def __repr__(self):
        return "<%s %r>" % (type(self).__name__, self.pid)


cdef tuple exit_reason(Process p, PyObject *raised):
    """(reason, crashed) for the exception an actor ended with (a new
    reference, taken over here)."""
    e = <object>raised
    Py_XDECREF(raised)
    if isinstance(e, _ExitSignal):
        return e.reason, False
    if isinstance(e, (KeyboardInterrupt, SystemExit)):
        p.sched.fatal = e
    return e, True


@cython.final
cdef class Request:
    """What ask() delivers to a process-style actor: answer with reply()."""
    cdef public object msg
    cdef readonly object _reply_to      # Pid, or a waiter with deliver()
    cdef readonly object _ref
    cdef public bint replied

    def __init__(self, msg, reply_to, ref):
        self.msg = msg
        self._reply_to = reply_to
        self._ref = ref
        self.replied = False

    def reply(self, value):
        """Send value back to the asker (once)."""
        self.answer(value, None)

    cdef int answer(self, value, exc) except -1:
        if self.replied:
            raise ActorError("this request was already answered")
        self.replied = True
        to = self._reply_to
        if type(to) is not Pid:
            to.deliver(value, exc)
        elif (<Pid>to).node != 0 and remote_router is not None and \
                type(self._ref) is Ref and \
                (<Ref>self._ref).node == (<Pid>to).node:
            # A reply record carries ids only: no Pid, Ref or _Reply to
            # pickle (remote.pxi: _in_reply builds them on the asker's node).
            remote_router.reply(to, (<Ref>self._ref).id, value, exc)
        else:
            send_to(lookup(to), to, new_reply(self._ref, value, exc))
        return 0

    def __reduce__(self):
        return (Request, (self.msg, self._reply_to, self._ref), self.replied)

    def __setstate__(self, replied):
        self.replied = replied

    def __repr__(self):
        return "Request(%r)" % (self.msg,)


cdef Request new_request(msg, reply_to, ref):
    """Request(msg, reply_to, ref) without a Python call."""
    cdef Request r = Request.__new__(Request)
    r.msg = msg
    r._reply_to = reply_to
    r._ref = ref
    return r


@cython.final
cdef class _Reply:
    cdef object ref, value, exc

    def __cinit__(self, ref, value, exc):
        self.ref = ref
        self.value = value
        self.exc = exc

    def __reduce__(self):                 # replies cross nodes
        return (_Reply, (self.ref, self.value, self.exc))


cdef _Reply new_reply(ref, value, exc):
    cdef _Reply r = _Reply.__new__(_Reply, ref, value, exc)
    return r


@cython.final
cdef class _AskMatch:
    """The selective receive of ask(): the reply, or the target's Down."""
    cdef object ref, mref
    cdef object target          # the Pid asked (introspect.pxi: ask cycles)


cdef inline bint matches(matcher, msg) except -1:
    if matcher is None:
        return True
    if type(matcher) is _AskMatch:
        if type(msg) is _Reply:
            return (<_Reply>msg).ref is (<_AskMatch>matcher).ref or \
                (<_Reply>msg).ref == (<_AskMatch>matcher).ref
        return (<_AskMatch>matcher).mref is not None and type(msg) is Down \
            and (<tuple>msg)[0] == (<_AskMatch>matcher).mref
    if isinstance(matcher, (type, tuple, UnionType)):
        return isinstance(msg, matcher)
    return bool(matcher(msg))


cdef bint type_matches(matcher, msg) noexcept:
    """isinstance() of a type matcher, run by a sender (or the loop): an
    error there (a message's own __class__ property) is the receiver's to
    meet, so it is woken to test the message itself."""
    try:
        return isinstance(msg, matcher)
    except BaseException:
        return True


cdef bint cheap_matcher(matcher) except -1:
    """Can a sender test it without running user code?  (A metaclass's
    __instancecheck__ is user code: it runs in the receiver only.)  Raises
    TypeError for what is no matcher at all."""
    if matcher is None or type(matcher) is _AskMatch or type(matcher) is type:
        return True
    if isinstance(matcher, (type, tuple, UnionType)):
        isinstance(None, matcher)         # TypeError now, not in a sender
        return type(matcher) is tuple and \
            all([type(t) is type for t in <tuple>matcher])
    if not callable(matcher):
        raise TypeError("match is a type, a tuple of types or a predicate, "
                        "not %r" % (matcher,))
    return False


# -- the process table --------------------------------------------------------

cdef Process lookup(dest):
    """The live process behind a Pid or a registered name, or None."""
    if type(dest) is Pid:
        return table_get(<Pid>dest)
    if isinstance(dest, str):
        dest = names.get(dest) or cluster_names.get(dest)
        return None if dest is None else <Process>processes.get(dest)
    raise TypeError("a destination is a Pid or a registered name, not %s"
                    % type(dest).__name__)


cdef void dead_letter(dest, msg, ended=NOTSET) noexcept:
    """msg reached no live actor (ended: the exit reason of the actor dest,
    which ends with msg unanswered)."""
    global dead_letter_count
    dead_letter_count += 1
    dead_letter_log.append((dest, msg))
    if type(msg) is Request:
        # Nobody will answer: tell the asker now rather than at its timeout
        # (with the reason, as a monitor's Down would say).
        try:
            (<Request>msg).answer(None, ActorDeadError(
                "%r is not alive" % (dest,) if ended is NOTSET else
                "%r ended (%r) before it replied" % (dest, ended)))
        except BaseException:
            pass


def dead_letters():
    """(count, recent): how many messages went to no live actor, and the last
    100 of them as (destination, message)."""
    return dead_letter_count, list(dead_letter_log)


# -- delivery -----------------------------------------------------------------

cdef inline PyObject *mailbox_of(Process p) except NULL:
    """p's mailbox (borrowed: p holds it), made with its first message."""
    if p.mailbox is None:
        p.mailbox = deque()
        # Private to p, which is untracked while it lives and drops it at
        # its end (process_exit): untracked, like p (gc_quiet.h).
        actors_gc_untrack(p.mailbox)
    return <PyObject *>p.mailbox


cdef int deliver(Process p, msg) except -1:
    """Put msg in p's mailbox (p lives in the running thread)."""
    if type(msg) is _Reply and not reply_awaited(p, <_Reply>msg):
        return 0                          # its ask gave up: nothing reads it
    if p.pflags & P_WAITING and p.matcher is None and \
            (p.mailbox is None or actors_dq_len(<PyObject *>p.mailbox) == 0):
        # p waits for any message and has none: hand msg over in `matcher`
        # (receive() takes it there), not touching its mailbox, which in a
        # ring of many actors is two more cold cache lines per message.
        # Until p runs it is the head of p's mail: give_back() puts it
        # there if p's wait ends any other way.
        if OBSERVE and p.pflags & P_TRACED:
            trace_deliver(p, msg)
        p.matcher = msg
        p.pflags |= P_GIVEN
        wake(p)
        return 0
    actors_dq_append(mailbox_of(p), msg)
    if OBSERVE and p.pflags & P_TRACED:
        trace_deliver(p, msg)
    if p.pflags & P_WAITING:
        m = p.matcher
        if m is not SLEEPING and (not p.pflags & P_CHEAP or m is None or (
                matches(m, msg) if type(m) is _AskMatch
                else type_matches(m, msg))):
            wake(p)
        elif OBSERVE and not p.pflags & P_NOTED:
            note_mail(p)                  # it waits on with mail unread
    elif p.pflags & P_CLASS and not tasklet_active(p):
        p.sched.enqueue(p)                # not in a batch: start one
    return 0


cdef inline bint reply_awaited(Process p, _Reply r) noexcept:
    """r answers the ask p waits in.  A reply to an ask that ended (timed
    out, or left by an exception) is dropped instead of landing in the
    mailbox as a message no receive() is meant to see."""
    return p.pflags & P_ASKING and type(r.ref) is Ref and \
        p.ask_id == <unsigned int>(<Ref>r.ref).id


cdef inline void asking(Process p, Ref ref) noexcept:
    p.ask_id = <unsigned int>ref.id
    p.pflags |= P_ASKING


cdef inline void done_asking(Process p) noexcept:
    p.pflags &= ~P_ASKING                 # a reply from now on is dropped


cdef inline void wake(Process p) noexcept:
    if OBSERVE:
        p.sched.nwaiting -= 1             # (p waits: P_WAITING is set)
    p.pflags &= ~P_WAITING
    tasklet_prefetch(p)
    p.sched.enqueue(p)


cdef inline void set_waiting(Process p) noexcept:
    """P_WAITING set, counted in its scheduler's nwaiting (the `waiting`
    gauge), as wake() and clear_waiting() uncount it."""
    if OBSERVE and not p.pflags & P_WAITING:
        p.sched.nwaiting += 1
    p.pflags |= P_WAITING


cdef void give_back(Process p) except *:
    """The message deliver() handed to p, back at the head of its mailbox
    (p's wait ended without receive() taking it)."""
    msg = p.matcher
    p.matcher = None
    p.pflags &= ~P_GIVEN
    (<object>mailbox_of(p)).appendleft(msg)


cdef inline void clear_waiting(Process p) noexcept:
    if OBSERVE and p.pflags & P_WAITING:
        p.sched.nwaiting -= 1
    p.pflags &= ~P_WAITING


def send(dest, msg):
    """Send msg to dest (a Pid or a registered name).  Never blocks, never
    fails: a message to no live actor becomes a dead letter."""
    send_to(lookup(dest), dest, msg)


cdef int send_to(Process p, dest, msg) except -1:
    """send() once dest is looked up: p is its local actor, or None."""
    if OBSERVE:
        counters.sent += 1
        if trace_flags:
            trace_send(dest, msg)
    if p is None:
        pid = resolve(dest)
        if pid is not None and (<Pid>pid).node != 0 and remote_router is not None:
            remote_router.send(pid, msg)
        else:
            dead_letter(dest, msg)
    elif tasklet_here(p):
        if p.extra is not None and p.extra.bound and is_full(p):
            wait_for_room(p)              # bound.pxi
            if p.pflags & P_EXITED:
                dead_letter(dest, msg)
                return 0
        deliver(p, msg)
        spend_on(p)                       # (p's scheduler runs this thread)
    else:
        p.sched.post(p, msg)
    return 0


# -- exits, links, monitors -----------------------------------------------------

cdef void process_exit(Process p, reason, bint crashed) noexcept:
    """The end of an actor, in its own context: tell its links and watchers,
    free its names, fail the requests it will never answer.  crashed: the
    reason is an exception the actor raised itself (logged once, here, not
    again by every linked actor it takes down)."""
    cdef _Extra x = p.extra
    p.pflags |= P_EXITED
    clear_waiting(p)
    if p.pflags & P_GIVEN:
        give_back(p)                      # dead-lettered with the rest
    p.pflags &= ~P_QUEUED
    if OBSERVE:
        counters.exits += 1
        if crashed or reason is not "normal":
            count_exit(reason, crashed)   # introspect.pxi
        if p.pflags & P_NOTED:
            forget_mail(p)
        if p.pflags & P_TRACED:
            trace_exit(p, reason)
    try:
        table_remove(p)
        actors_gc_retrack(p)
        p.start = None              # untracked; never started if still set
        p.sched.nprocs -= 1
        if crashed and not (p.pflags & P_ROOT and
                            isinstance(reason, KeyboardInterrupt)):
            # (run() raises the root's KeyboardInterrupt: no second report)
            log.error("actor %r ended with an exception", p.pid,
                      exc_info=(type(reason), reason, reason.__traceback__))
        if p.mailbox:
            for msg in p.mailbox:
                if type(msg) is Request:
                    dead_letter(p.pid, msg, reason)
            p.mailbox = None
        if x is not None:
            for req in x.requests or ():
                if not req.replied:       # taken, never answered
                    dead_letter(p.pid, req, reason)
            forget_names(p)
            for ref, target in (x.monitors or {}).items():
                t = <Process>processes.get(target)
                if t is not None and t.extra is not None and t.extra.watchers:
                    unwatch(t.extra.watchers, ref)
                elif t is None and (<Pid>target).node != 0 and \
                        remote_router is not None:
                    remote_router.demonitor(target, ref)
            # Each watcher and link is told on its own: one that fails
            # (a remote router's error) must not cost the others theirs.
            w_list = x.watchers or []
            for i in range(0, len(w_list), 2):
                try:
                    notify_watcher(p, w_list[i], w_list[i + 1], reason)
                except Exception:
                    log.exception("actors: error telling %r that %r ended",
                                  w_list[i + 1], p.pid)
            for other in x.links or ():
                try:
                    o = <Process>processes.get(other)
                    if o is not None and o.extra is not None and o.extra.links:
                        o.extra.links.discard(p.pid)
                    exit_signal(other, p.pid, reason)
                except Exception:
                    log.exception("actors: error signalling %r that %r "
                                  "ended", other, p.pid)
            p.extra = None
        if p.pflags & P_ROOT:
            p.sched.root_reason = reason
    except BaseException:
        log.exception("actors: error while ending %r", p.pid)


cdef int notify_watcher(Process p, ref, Pid watcher, reason) except -1:
    cdef Process w
    if watcher.node != 0:
        if remote_router is not None:
            remote_router.down(watcher, ref, p.pid, reason)
        return 0
    w = <Process>processes.get(watcher)
    if w is not None and w.extra is not None and w.extra.monitors:
        w.extra.monitors.pop(ref, None)
    send(watcher, Down(ref, p.pid, reason))
    return 0


cdef int exit_signal(Pid dest, Pid sender, reason) except -1:
    """Erlang's exit signal from sender to dest; raises _ExitSignal when it
    ends the calling actor itself."""
    cdef Process p
    try:
        p = lookup(dest)
        if p is None:
            if dest is not None and dest.node != 0 and remote_router is not None:
                remote_router.exit(dest, sender, reason)
            return 0
        if not tasklet_here(p):
            p.sched.post_exit(dest, sender, reason)
            return 0
        if reason == "kill":
            kill(p, "killed")
        elif p.pflags & P_TRAP:
            deliver(p, Exit(sender, reason))
        elif reason != "normal" or sender == dest:
            kill(p, reason)
    except _ExitSignal:
        raise
    except BaseException:
        log.exception("actors: error delivering an exit signal to %r", dest)
    return 0


cdef inline object take_exit(Process p):
    """The reason of p's pending exit signal, cleared."""
    r = p.pending_exit
    p.pending_exit = None
    return None if r is NONE_REASON else r


cdef int kill(Process p, reason) except -1:
    """End p with reason: at once if it is running, else when it next runs."""
    if p.pflags & P_EXITED:
        return 0
    if p is tasklet_current(tasklet_thread(p)):
        raise _ExitSignal(reason)
    # None is a reason like any other (Erlang: all but 'normal' kill);
    # pending_exit's None means "no signal", so it is stored as a marker.
    p.pending_exit = NONE_REASON if reason is None else reason
    if p.pflags & P_WAITING:
        wake(p)
    elif not p.pflags & P_QUEUED and not tasklet_active(p):
        p.sched.enqueue(p)
    return 0


def exit(dest, reason="normal"):
    """Send an exit signal to dest, Erlang's exit/2: 'kill' ends it
    unconditionally (reason 'killed'); an actor trapping exits gets an Exit
    message; otherwise any reason but 'normal' ends it -- None included,
    which is a reason like any other."""
    cdef Process me = current_process_or_none()
    exit_signal(lookup_pid(dest), me.pid if me is not None else None, reason)


cdef object resolve(dest):
    """dest as a Pid (a name is looked up), or None."""
    if type(dest) is Pid:
        return dest
    return names.get(dest) or cluster_names.get(dest)


cdef Pid lookup_pid(dest):
    if type(dest) is Pid:
        return dest
    if isinstance(dest, str):
        pid = names.get(dest) or cluster_names.get(dest)
        if pid is None:
            raise ActorError("no actor is registered as %r" % (dest,))
        return pid
    raise TypeError("expected a Pid or a registered name, not %s"
                    % type(dest).__name__)


def link(dest):
    """Link the calling actor with dest: when either ends, the other gets an
    exit signal.  Linking to an actor that is not alive signals 'noproc'."""
    cdef Process me = current_process()
    cdef Pid pid = lookup_pid(dest)
    cdef Process other = lookup(pid)
    if pid == me.pid:
        return
    if OBSERVE and trace_flags:
        trace_link(me, pid)
    if other is None and pid.node != 0 and remote_router is not None:
        if me.more().links is None:
            me.extra.links = set()
        me.extra.links.add(pid)
        remote_router.link(pid, me.pid)   # its node answers 'noproc' if dead
        return
    if other is None:
        exit_signal(me.pid, pid, "noproc")
        return
    if me.more().links is None:
        me.extra.links = set()
    if other.more().links is None:
        other.extra.links = set()
    me.extra.links.add(pid)
    other.extra.links.add(me.pid)


def unlink(dest):
    cdef Process me = current_process()
    cdef Pid pid = lookup_pid(dest)
    cdef Process other = lookup(pid)
    if me.extra is not None and me.extra.links:
        me.extra.links.discard(pid)
    if other is not None and other.extra is not None and other.extra.links:
        other.extra.links.discard(me.pid)
    elif other is None and pid.node != 0 and remote_router is not None:
        remote_router.unlink(pid, me.pid)


def monitor(dest):
    """Watch dest: when it ends the caller gets Down(ref, pid, reason)
    ('noproc' at once if it is not alive).  Returns ref."""
    cdef Process me = current_process()
    cdef Pid pid = lookup_pid(dest)
    cdef Process other = lookup(pid)
    ref = Ref()
    if other is None and pid.node != 0 and remote_router is not None:
        if me.more().monitors is None:
            me.extra.monitors = {}
        me.extra.monitors[ref] = pid
        remote_router.monitor(pid, me.pid, ref)   # 'noproc' comes back if dead
        return ref
    if other is None:
        deliver(me, Down(ref, pid, "noproc"))
        return ref
    if me.more().monitors is None:
        me.extra.monitors = {}
    if other.more().watchers is None:
        other.extra.watchers = []
    me.extra.monitors[ref] = pid
    other.extra.watchers += (ref, me.pid)
    return ref


cdef void unwatch(list watchers, ref) noexcept:
    cdef Py_ssize_t i
    for i in range(0, len(watchers), 2):
        if watchers[i] is ref or watchers[i] == ref:
            del watchers[i:i + 2]
            return


def demonitor(ref, flush=True):
    """Stop watching; with flush, drop a Down for ref already delivered.
    True if the monitor was still active."""
    cdef Process me = current_process()
    found = False
    if me.extra is not None and me.extra.monitors:
        pid = me.extra.monitors.pop(ref, None)
        if pid is not None:
            found = True
            other = <Process>processes.get(pid)
            if other is not None and other.extra is not None and \
                    other.extra.watchers:
                unwatch(other.extra.watchers, ref)
            elif other is None and (<Pid>pid).node != 0 and \
                    remote_router is not None:
                remote_router.demonitor(pid, ref)
    if flush and me.mailbox:
        for msg in me.mailbox:
            if type(msg) is Down and msg[0] == ref:
                me.mailbox.remove(msg)
                break
    return found


def trap_exits(flag=True):
    """Exit signals to the calling actor arrive as Exit messages instead of
    ending it.  Returns the previous setting."""
    cdef Process me = current_process()
    old = bool(me.pflags & P_TRAP)
    if flag:
        me.pflags |= P_TRAP
    else:
        me.pflags &= ~P_TRAP
    return old


# -- registry and groups ------------------------------------------------------

def register(name, pid, scope="local"):
    """Give a live actor a name; send() and ask() take it in place of the
    Pid.  The name is freed when the actor ends.  scope="cluster" makes it
    known on every node of the cluster."""
    if scope == "cluster":                # the node layer's business
        return cluster_router().register(name, pid)
    if scope != "local":
        raise ValueError("scope is 'local' or 'cluster', not %r" % (scope,))
    if not isinstance(name, str):
        raise TypeError("names are strings")
    cdef Process p = lookup(pid)
    if p is None:
        raise ActorDeadError("%r is not alive" % (pid,))
    holder = names.get(name)
    if holder is not None and holder != pid:
        raise NameTakenError("%r is registered to %r" % (name, holder))
    names[name] = p.pid
    if p.more().names is None:
        p.extra.names = []
    p.extra.names.append(name)


def unregister(name, scope="local"):
    if scope == "cluster":
        return cluster_router().unregister(name)
    pid = names.pop(name, None)
    if pid is None:
        raise ActorError("%r is not registered" % (name,))
    p = <Process>processes.get(pid)
    if p is not None and p.extra is not None and p.extra.names:
        p.extra.names.remove(name)


def whereis(name):
    """The Pid registered as name (on this node, else cluster-wide), or
    None."""
    return names.get(name) or cluster_names.get(name)


def join(group, pid):
    """Add a live actor to a process group; it leaves when it ends."""
    cdef Process p = lookup(pid)
    if p is None:
        raise ActorDeadError("%r is not alive" % (pid,))
    members_ = groups.setdefault(group, {})
    if p.pid not in members_:
        members_[p.pid] = None
        if p.more().groups is None:
            p.extra.groups = []
        p.extra.groups.append(group)


def leave(group, pid):
    members_ = groups.get(group)
    if members_ is None or pid not in members_:
        return False
    del members_[pid]
    if not members_:
        del groups[group]
    p = <Process>processes.get(pid)
    if p is not None and p.extra is not None and p.extra.groups:
        p.extra.groups.remove(group)
    return True


def members(group):
    """The live members of a group, in the order they joined."""
    return list(groups.get(group, ()))
