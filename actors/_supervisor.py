"""OTP-style supervisors, in pure Python on top of the actor API.

    sup = actors.spawn_link(actors.Supervisor([
        actors.ChildSpec(db_worker, args=(url,)),
        actors.ChildSpec(Cache, id="cache", restart="transient"),
        actors.Supervisor([...], strategy="one_for_all", name="inner"),
    ], strategy="rest_for_one", max_restarts=3, period=5.0))

A Supervisor is a callable: spawning it runs a process-style actor that
traps exits, starts its children in order (each with spawn_link) and
restarts them when they end, following its strategy:

* ``one_for_one``: only the child that ended is restarted;
* ``one_for_all``: the other children are stopped (in reverse start order)
  and then every child is started again, in order;
* ``rest_for_one``: the children started after the one that ended are
  stopped (in reverse order), then it and they are started again, in order.

Restart intensity: more than ``max_restarts`` restarts within ``period``
seconds and the supervisor stops all its children (reverse start order) and
exits with reason ``'shutdown'``, for its own supervisor to act on.

An exit signal from anything that is not one of its children (its parent,
or another link) with a reason other than ``'normal'`` makes it stop its
children in reverse start order and exit with that reason.  Each child is
stopped with ``exit(child, 'shutdown')`` and awaited for its ``shutdown``
timeout, then killed (``exit(child, 'kill')``); ``'brutal_kill'`` kills it
at once, ``'infinity'`` waits as long as it takes (the default for a child
that is itself a supervisor).

The supervisor answers ``ask`` queries; use the static helpers:
``Supervisor.which_children(sup)``, ``count_children``, ``restart_count``,
``start_child``, ``terminate_child``, ``restart_child``, ``delete_child``.
"""
from collections import deque, namedtuple
import logging
import time

from actors._backend import core as _core

Down, Exit, Ref, Request = _core.Down, _core.Exit, _core.Ref, _core.Request
ask, demonitor, exit, monitor = _core.ask, _core.demonitor, _core.exit, \
    _core.monitor
receive, register, _self, send = _core.receive, _core.register, _core.self, \
    _core.send
spawn_link, trap_exits, unlink = _core.spawn_link, _core.trap_exits, \
    _core.unlink

__all__ = ["ChildSpec", "ChildInfo", "StartError", "Supervisor",
           "SupervisorError"]

log = logging.getLogger("actors.supervisor")

_RESTARTS = ("permanent", "transient", "temporary")
_STRATEGIES = ("one_for_one", "one_for_all", "rest_for_one")
_DEFAULT = object()

restarts = 0                      # every supervisor's, for actors.metrics()

ChildInfo = namedtuple("ChildInfo", "id pid restart")
ChildInfo.__doc__ = ("One row of Supervisor.which_children(): the child's id, "
                     "its Pid (None when it is not running) and its restart "
                     "type.")


class SupervisorError(Exception):
    """A supervisor refused a request (unknown id, child running, ...)."""


class StartError(SupervisorError):
    """A child could not be started: spawning it raised, or (a child
    supervisor) it ended before it had started its own children.  A
    supervisor whose initial start of a child fails ends with this."""

    def __init__(self, id, reason):
        SupervisorError.__init__(self, "child %r failed to start: %r"
                                 % (id, reason))
        self.id = id
        self.reason = reason


def _name_of(start):
    if isinstance(start, Supervisor):
        return start.name or "supervisor"
    name = getattr(start, "__name__", None)
    if name is None:
        name = type(start).__name__
    return name


def _exit_self(reason):
    """End the calling actor with reason, as Erlang's exit/1 does (a signal
    to oneself ends the caller once exits are not trapped)."""
    trap_exits(False)
    exit(_self(), reason)
    raise SupervisorError("exit(self(), %r) returned" % (reason,))


def _is_normal(reason):
    """An ending a 'transient' child is not restarted for."""
    if isinstance(reason, str):
        return reason in ("normal", "shutdown")
    return (isinstance(reason, tuple) and len(reason) == 2
            and reason[0] == "shutdown")


class ChildSpec:
    """How a supervisor starts one child.

    start: a function, an Actor subclass or a Supervisor, started with
    ``spawn_link(start, *args, **kwargs)`` from the supervisor.
    id: unique within the supervisor; defaults to the start's name.
    restart: 'permanent' (always restarted), 'transient' (restarted only if
    it ended abnormally: a reason other than 'normal' and 'shutdown') or
    'temporary' (never restarted; forgotten once it ends).
    shutdown: seconds to wait after exit(pid, 'shutdown') before
    exit(pid, 'kill'), or 'brutal_kill', or 'infinity' (None); defaults to
    5.0 for a worker and 'infinity' for a supervisor."""

    __slots__ = ("start", "args", "kwargs", "id", "restart", "shutdown")

    def __init__(self, start, args=(), kwargs=None, id=None,
                 restart="permanent", shutdown=_DEFAULT):
        if not callable(start):
            raise TypeError("a child's start is a function, an Actor "
                            "subclass or a Supervisor, not %r" % (start,))
        if restart not in _RESTARTS:
            raise ValueError("restart must be one of %s, not %r"
                             % (", ".join(_RESTARTS), restart))
        if shutdown is _DEFAULT:
            shutdown = "infinity" if isinstance(start, Supervisor) else 5.0
        if shutdown is None:
            shutdown = "infinity"
        if isinstance(start, Supervisor) and (args or kwargs):
            raise TypeError("a child supervisor takes no args or kwargs")
        if isinstance(shutdown, str):
            if shutdown not in ("brutal_kill", "infinity"):
                raise ValueError("shutdown is a number of seconds, "
                                 "'brutal_kill' or 'infinity', not %r"
                                 % (shutdown,))
        elif isinstance(shutdown, bool) or \
                not isinstance(shutdown, (int, float)) or \
                not shutdown >= 0:        # NaN too
            raise ValueError("shutdown is a number of seconds >= 0, "
                             "'brutal_kill' or 'infinity', not %r"
                             % (shutdown,))
        self.start = start
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.id = _name_of(start) if id is None else id
        self.restart = restart
        self.shutdown = shutdown

    @property
    def is_supervisor(self):
        return isinstance(self.start, Supervisor)

    def __repr__(self):
        return "ChildSpec(%r, id=%r, restart=%r, shutdown=%r)" % (
            self.start, self.id, self.restart, self.shutdown)


def _as_spec(child):
    if isinstance(child, ChildSpec):
        return child
    if callable(child):                 # a function, Actor class, Supervisor
        return ChildSpec(child)
    raise TypeError("a child is a ChildSpec, a Supervisor, a function or an "
                    "Actor subclass, not %r" % (child,))


class Supervisor:
    """An OTP-style supervisor; spawn it (``actors.spawn_link(sup)``) to run
    it.  children: ChildSpecs (or bare functions, Actor subclasses and
    Supervisors, taken with the ChildSpec defaults), started in order.
    strategy: 'one_for_one', 'one_for_all' or 'rest_for_one'.  More than
    max_restarts restarts within period seconds make it stop its children
    and exit with reason 'shutdown'.  name, if given, is registered for the
    running supervisor (and is its id as a child of another supervisor).

    The object is only a description: it can be spawned again (which is
    how a parent supervisor restarts it) and every run starts afresh."""

    def __init__(self, children=(), strategy="one_for_one", max_restarts=3,
                 period=5.0, name=None):
        if strategy not in _STRATEGIES:
            raise ValueError("strategy must be one of %s, not %r"
                             % (", ".join(_STRATEGIES), strategy))
        if not isinstance(max_restarts, int) or max_restarts < 0:
            raise ValueError("max_restarts is an int >= 0")
        if isinstance(period, bool) or \
                not isinstance(period, (int, float)) or not period > 0:
            raise ValueError("period is a number of seconds > 0, not %r"
                             % (period,))      # NaN is not
        self.children = [_as_spec(c) for c in children]
        ids = [c.id for c in self.children]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError("duplicate child ids: %s"
                             % ", ".join(map(repr, sorted(dup, key=repr))))
        self.strategy = strategy
        self.max_restarts = max_restarts
        self.period = float(period)
        self.name = name

    def __repr__(self):
        return "<Supervisor %s%s, %d children>" % (
            self.strategy, " %r" % self.name if self.name else "",
            len(self.children))

    def __call__(self):
        _Running(self).run()

    def start_link(self, timeout=None):
        """From inside an actor: spawn_link this supervisor and wait until
        it has started all its children (like OTP's start_link); its Pid.
        Raises StartError if it ends first."""
        me = _self()
        token = Ref()
        pid = spawn_link(_run_started, self, me, token)
        mref = monitor(pid)
        try:
            m = receive(lambda m: (type(m) is _Started and m.token is token)
                        or (type(m) is Down and m.ref == mref),
                        timeout=timeout)
        finally:
            demonitor(mref, True)
        if type(m) is Down:
            raise StartError(self.name or "supervisor", m.reason)
        return pid

    # -- queries, by ask() to a running supervisor -------------------------

    @staticmethod
    def _call(sup, *request, timeout=5.0):
        status, value = ask(sup, _Call(request), timeout)
        if status == "error":
            raise value
        return value

    @staticmethod
    def which_children(sup, timeout=5.0):
        """[ChildInfo(id, pid or None, restart)], in start order."""
        return Supervisor._call(sup, "which_children", timeout=timeout)

    @staticmethod
    def count_children(sup, timeout=5.0):
        """{'specs', 'active', 'supervisors', 'workers'}: counts."""
        return Supervisor._call(sup, "count_children", timeout=timeout)

    @staticmethod
    def restart_count(sup, timeout=5.0):
        """How many restarts (one per child ending that led to restarts)
        this run of the supervisor has done."""
        return Supervisor._call(sup, "restart_count", timeout=timeout)

    @staticmethod
    def start_child(sup, spec, timeout=5.0):
        """Add a child (a ChildSpec or what one is made from) at the end
        and start it; its Pid."""
        return Supervisor._call(sup, "start_child", _as_spec(spec),
                                timeout=timeout)

    @staticmethod
    def terminate_child(sup, id, timeout=None):
        """Stop the child id (orderly, like a shutdown); its spec stays
        unless it is temporary.  Not counted as a restart reason."""
        return Supervisor._call(sup, "terminate_child", id,
                                timeout=_call_timeout(timeout))

    @staticmethod
    def restart_child(sup, id, timeout=5.0):
        """Start again the stopped child id; its new Pid."""
        return Supervisor._call(sup, "restart_child", id, timeout=timeout)

    @staticmethod
    def delete_child(sup, id, timeout=5.0):
        """Forget the stopped child id."""
        return Supervisor._call(sup, "delete_child", id, timeout=timeout)


def _call_timeout(timeout):
    return 60.0 if timeout is None else timeout


def _run_started(sup, starter, token):
    """A supervisor run that tells its starter once its children run."""
    _Running(sup, (starter, token)).run()


class _Started:
    __slots__ = ("token",)

    def __init__(self, token):
        self.token = token


class _Call:
    """A query to a supervisor, wrapped so a stray message is not taken
    for one."""
    __slots__ = ("request",)

    def __init__(self, request):
        self.request = request

    def __repr__(self):
        return "_Call%r" % (self.request,)


class _StartFailed:
    """Sent by a supervisor to itself when spawning a child raised."""
    __slots__ = ("child", "error")

    def __init__(self, child, error):
        self.child = child
        self.error = error


class _Child:
    __slots__ = ("spec", "pid")

    def __init__(self, spec):
        self.spec = spec
        self.pid = None


class _ExitSupervisor(Exception):
    def __init__(self, reason):
        Exception.__init__(self, reason)
        self.reason = reason


class _Running:
    """One run of a Supervisor: its state lives here, not on the
    (reusable) Supervisor object."""

    def __init__(self, sup, ack=None):
        self.sup = sup
        self.ack = ack
        self.children = [_Child(s) for s in sup.children]
        self.restarts = deque()         # monotonic times, within the period
        self.restart_total = 0
        self.me = None

    # -- the loop -------------------------------------------------------------

    def run(self):
        self.me = _self()
        trap_exits(True)
        if self.sup.name is not None:
            register(self.sup.name, self.me)
        try:
            for c in self.children:
                try:
                    self.start(c)
                except Exception as e:
                    # Like OTP: a child that cannot start fails the
                    # supervisor's own start.
                    self.terminate_all()
                    if isinstance(e, StartError):
                        raise
                    raise StartError(c.spec.id, e) from e
            if self.ack is not None:
                starter, token = self.ack
                self.ack = None
                send(starter, _Started(token))
            while True:
                self.handle(receive())
        except _ExitSupervisor as e:
            reason = e.reason
        _exit_self(reason)

    def handle(self, msg):
        if type(msg) is Exit:
            child = self.find_pid(msg.pid)
            if child is not None:
                self.child_ended(child, msg.reason)
            elif not (isinstance(msg.reason, str) and msg.reason == "normal"):
                # Our parent (or another link) ended: so do we.
                self.terminate_all()
                raise _ExitSupervisor(msg.reason)
        elif isinstance(msg, Request):
            call = msg.msg
            if isinstance(call, _Call):
                try:
                    value = self.query(*call.request)
                except _ExitSupervisor:
                    raise
                except Exception as e:
                    msg.reply(("error", e))
                else:
                    msg.reply(("ok", value))
            else:
                msg.reply(("error", SupervisorError(
                    "a supervisor does not understand %r" % (call,))))
        elif type(msg) is _StartFailed:
            c = msg.child
            if c.pid is None and any(x is c for x in self.children):
                self.child_ended(c, msg.error)
        elif type(msg) is Down:
            pass                        # a stale monitor of a stopped child
        else:
            log.warning("supervisor %r ignores the message %r", self.me, msg)

    # -- children -------------------------------------------------------------

    def find_pid(self, pid):
        if pid is None:                 # exit() from outside any actor
            return None
        for c in self.children:
            if c.pid == pid:
                return c
        return None

    def find_id(self, id):
        for c in self.children:
            if c.spec.id == id:
                return c
        raise SupervisorError("no child with id %r" % (id,))

    def start(self, c):
        """Start one child; a child supervisor is waited for until it has
        started its own children, so a tree starts depth first, in order."""
        s = c.spec
        if not s.is_supervisor:
            c.pid = spawn_link(s.start, *s.args, **s.kwargs)
            return c.pid
        token = Ref()
        pid = spawn_link(_run_started, s.start, self.me, token)
        c.pid = pid
        m = receive(lambda m: (type(m) is _Started and m.token is token) or
                    (type(m) is Exit and m.pid == pid))
        if type(m) is Exit:
            c.pid = None
            raise StartError(s.id, m.reason)
        return pid

    def try_start(self, c):
        """start(), turning a failure to spawn into a child ending."""
        try:
            return self.start(c)
        except Exception as e:
            log.error("supervisor %r could not start child %r",
                      self.me, c.spec.id, exc_info=True)
            c.pid = None
            send(self.me, _StartFailed(
                c, e.reason if isinstance(e, StartError) else e))
            return None

    def terminate(self, c):
        """Stop one child in order: exit(pid, 'shutdown'), wait for it up
        to its shutdown timeout, then kill it.  Returns its exit reason."""
        pid = c.pid
        if pid is None:
            return None
        c.pid = None
        ref = monitor(pid)
        unlink(pid)
        # If it already ended, its Exit may be waiting: it is handled here.
        early = receive(lambda m: type(m) is Exit and m.pid == pid,
                        timeout=0, default=None)
        is_down = (lambda m: type(m) is Down and m.ref == ref)
        shutdown = c.spec.shutdown
        if early is not None:
            demonitor(ref, True)
            return early.reason
        if shutdown == "brutal_kill":
            exit(pid, "kill")
            return receive(is_down).reason
        exit(pid, "shutdown")
        down = receive(is_down,
                       timeout=None if shutdown == "infinity" else shutdown,
                       default=None)
        if down is None:
            log.warning("supervisor %r: child %r (%r) ignored shutdown for "
                        "%s s; killing it", self.me, c.spec.id, pid, shutdown)
            exit(pid, "kill")
            down = receive(is_down)
        return down.reason

    def terminate_all(self, children=None):
        """Stop children (all by default) in reverse start order; temporary
        ones are forgotten."""
        if children is None:
            children = list(self.children)
        for c in reversed(children):
            if c.pid is not None:
                self.terminate(c)
                if c.spec.restart == "temporary":
                    self.remove(c)

    def remove(self, c):
        self.children = [x for x in self.children if x is not c]

    # -- restarts ---------------------------------------------------------------

    def child_ended(self, c, reason):
        c.pid = None
        restart = c.spec.restart
        if restart == "temporary":
            self.remove(c)
            return
        if restart == "transient" and _is_normal(reason):
            return
        self.count_restart()
        strategy = self.sup.strategy
        if strategy == "one_for_one":
            self.try_start(c)
            return
        i = next(k for k, x in enumerate(self.children) if x is c)
        group = self.children if strategy == "one_for_all" \
            else self.children[i:]
        self.terminate_all([x for x in group if x is not c])
        # Temporary children stopped on the way are gone from the list.
        live = {id(x) for x in self.children}
        for x in group:
            if id(x) in live and x.pid is None:
                self.try_start(x)

    def count_restart(self):
        now = time.monotonic()
        q = self.restarts
        q.append(now)
        while q and q[0] < now - self.sup.period:
            q.popleft()
        if len(q) > self.sup.max_restarts:
            log.error("supervisor %r: more than %d restarts within %s s; "
                      "shutting down", self.me, self.sup.max_restarts,
                      self.sup.period)
            self.terminate_all()
            raise _ExitSupervisor("shutdown")
        self.restart_total += 1
        global restarts
        restarts += 1

    # -- queries ----------------------------------------------------------------

    def query(self, what, *args):
        if what == "which_children":
            return [ChildInfo(c.spec.id, c.pid, c.spec.restart)
                    for c in self.children]
        if what == "count_children":
            sups = sum(1 for c in self.children if c.spec.is_supervisor)
            return {"specs": len(self.children),
                    "active": sum(1 for c in self.children
                                  if c.pid is not None),
                    "supervisors": sups,
                    "workers": len(self.children) - sups}
        if what == "restart_count":
            return self.restart_total
        if what == "start_child":
            spec, = args
            if any(c.spec.id == spec.id for c in self.children):
                raise SupervisorError("a child with id %r exists" % (spec.id,))
            c = _Child(spec)
            self.children.append(c)
            try:
                return self.start(c)
            except Exception:
                self.remove(c)
                raise
        if what == "terminate_child":
            c = self.find_id(args[0])
            self.terminate(c)
            if c.spec.restart == "temporary":
                self.remove(c)
            return None
        if what == "restart_child":
            c = self.find_id(args[0])
            if c.pid is not None:
                raise SupervisorError("child %r is running" % (c.spec.id,))
            return self.start(c)
        if what == "delete_child":
            c = self.find_id(args[0])
            if c.pid is not None:
                raise SupervisorError("child %r is running" % (c.spec.id,))
            self.remove(c)
            return None
        raise SupervisorError("unknown supervisor request %r" % (what,))
