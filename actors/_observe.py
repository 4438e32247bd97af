"""Seeing inside a running system: processes(), info(), stack(), dump(),
dump_on_signal().  Built on the core's raw readers (introspect.pxi): the
hot paths only count; everything here is computed when it is asked for.

A suspended actor's frames are read where the core keeps them (the same
frame chain as a tasklet's gr_frame, which never leads into another
tasklet's stack slice); a running actor's from its thread's own frame."""
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field

from actors._backend import core as _core
from actors._remote import spawnable

Pid = _core.Pid


@dataclass(frozen=True)
class ActorInfo:
    """What actors.info() says about one live actor."""
    pid: object
    name: object                  # its first registered name, or None
    initial: str                  # initial function or Actor class
    status: str                   # running, runnable, waiting in receive,
                                  # sleeping, waiting on fd, exiting,
                                  # suspended
    function: object              # current function (qualified name) or None
    file: object
    line: object
    mailbox: int                  # messages waiting
    reductions: int               # budget spent (sends, receives) + runs
    memory: int                   # bytes, the sum of memory_detail
    memory_detail: dict = field(repr=False)
    links: list = field(default_factory=list)
    monitors: list = field(default_factory=list)       # actors it watches
    monitored_by: list = field(default_factory=list)
    trap_exits: bool = False
    supervisor: object = None     # the Pid of the supervisor that started it
    groups: list = field(default_factory=list)
    names: list = field(default_factory=list)
    age: float = 0.0              # seconds since it was spawned
    asking: object = None         # the Pid it waits on in ask(), if any


def _pid_arg(pid):
    if type(pid) is Pid:
        return pid
    if isinstance(pid, str):
        return _core.whereis(pid)
    raise TypeError("expected a Pid or a registered name, not %s"
                    % type(pid).__name__)


def processes():
    """The Pids of every live actor of this process (all its threads)."""
    return _core._pids()


def _running_frame(thread, depth):
    """The top frame of the actor running in thread: the caller's own
    frame (depth levels up) when it is this thread."""
    if thread == threading.get_ident():
        return sys._getframe(depth + 1)
    return sys._current_frames().get(thread)


def _frames(status, frame, thread, depth):
    """The frames of one actor, innermost first."""
    if status == "running" and frame is None:
        frame = _running_frame(thread, depth + 1)
    out = []
    while frame is not None:
        out.append(frame)
        frame = frame.f_back
    while out and out[0].f_code.co_filename == __file__:
        del out[0]                        # the calling actor: not our frames
    return out


def _qualname(obj):
    if obj is None:
        return None
    name = getattr(obj, "__qualname__", None) or \
        getattr(type(obj), "__qualname__", None) or repr(obj)
    mod = getattr(obj, "__module__", None)
    return "%s.%s" % (mod, name) if mod and mod != "builtins" else name


def _initial(first, frames):
    if first is not None:
        return _qualname(first)
    if frames:
        code = frames[-1].f_code
        return getattr(code, "co_qualname", code.co_name)
    return "?"


def _supervisor_of(pid, links):
    """The linked supervisor that started pid: spawned before it (a
    supervisor's own children come after it), running _supervisor's code."""
    from actors import _supervisor
    best = None
    for other in links:
        if type(other) is not Pid or other.node != 0 or other > pid:
            continue
        fs = _core._frame_status(other)
        if fs is None:
            continue
        frames = _frames(fs[0], fs[1], fs[3], 1)
        if frames and frames[-1].f_code.co_filename == _supervisor.__file__:
            if best is None or other > best:
                best = other
    return best


def info(pid, timeout=5.0):
    """An ActorInfo for a live actor (a Pid or a registered name), or None
    if it is not alive.  An actor of another cluster node is asked through
    its node (from inside an actor; timeout bounds the wait)."""
    pid = _pid_arg(pid)
    if pid is not None and pid.node != 0:
        return _remote("info", pid, timeout)
    raw = None if pid is None else _core._info(pid)
    if raw is None:
        return None
    frames = _frames(raw["status"], raw["frame"], raw["thread"], 1)
    top = frames[0] if frames else None
    code = top.f_code if top is not None else None
    mem = raw["memory"]
    return ActorInfo(
        pid=raw["pid"], name=raw["names"][0] if raw["names"] else None,
        initial=_initial(raw["class"] or raw["start"], frames),
        status=raw["status"],
        function=getattr(code, "co_qualname", None) if code else None,
        file=code.co_filename if code else None,
        line=top.f_lineno if top is not None else None,
        mailbox=raw["mailbox"], reductions=raw["reductions"],
        memory=sum(mem.values()), memory_detail=mem, links=raw["links"],
        monitors=raw["monitors"], monitored_by=raw["monitored_by"],
        trap_exits=raw["trap_exits"],
        supervisor=_supervisor_of(raw["pid"], raw["links"]),
        groups=raw["groups"], names=raw["names"], age=raw["age"],
        asking=raw["asking"])


def stack(pid, timeout=5.0):
    """The stack of a live actor as a traceback.StackSummary, outermost
    call first (empty if it has not started, or is an Actor between
    messages); None if it is not alive.  Of a suspended actor, where it
    waits; of the calling actor, up to this call; of an actor of another
    cluster node, as its node reports it (see info())."""
    pid = _pid_arg(pid)
    if pid is not None and pid.node != 0:
        frames = _remote("stack", pid, timeout)
        if frames is None:
            return None
        return traceback.StackSummary.from_list(
            [traceback.FrameSummary(f, n, name, line=line)
             for f, n, name, line in frames])
    fs = None if pid is None else _core._frame_status(pid)
    if fs is None:
        return None
    frames = _frames(fs[0], fs[1], fs[3], 1)
    frames.reverse()
    return traceback.StackSummary.extract(
        ((f, f.f_lineno) for f in frames), lookup_lines=True)


def _key(frames):
    return tuple((f.f_code.co_filename, f.f_lineno,
                  getattr(f.f_code, "co_qualname", f.f_code.co_name))
                 for f in reversed(frames))


def stacks():
    """{(status, stack key): [pids]}: every live actor grouped by where it
    is (the stack key: (file, line, function) outermost first)."""
    groups = {}
    for pid in _core._pids():
        fs = _core._frame_status(pid)
        if fs is None:
            continue                      # ended meanwhile
        frames = _frames(fs[0], fs[1], fs[3], 1)
        key = (fs[0], _key(frames) if frames else
               (("<not started>" if fs[2] is not None and fs[0] == "runnable"
                 else "<idle>", 0, _initial(fs[2], ())),))
        pids = groups.get(key)
        if pids is None:
            groups[key] = [pid]
        else:
            pids.append(pid)
    return groups


def dump(file=None, examples=3):
    """Write every live actor's stack to file (sys.stderr by default),
    actors with identical stacks and status grouped with their count, the
    largest group first.  Returns the number of groups."""
    if file is None:
        file = sys.stderr
    groups = stacks()
    total = sum(len(v) for v in groups.values())
    out = ["actors: %d actors in %d groups (identical stacks)\n"
           % (total, len(groups))]
    for (status, key), pids in sorted(groups.items(),
                                      key=lambda kv: -len(kv[1])):
        shown = " ".join("%d.%d" % (p.node, p.id) for p in pids[:examples])
        out.append("\n%d x %s  (%s%s)\n" % (
            len(pids), status, shown, " ..." if len(pids) > examples else ""))
        if key and key[0][1] == 0:        # no frames: a placeholder
            out.append("  %s %s\n" % (key[0][0], key[0][2]))
            continue
        summary = traceback.StackSummary.from_list(
            [traceback.FrameSummary(f, ln, name) for f, ln, name in key])
        out.extend(summary.format())
    file.write("".join(out))
    file.flush()
    return len(groups)


def dump_on_signal(signum=signal.SIGUSR1, file=None):
    """Opt in: dump() every actor's stack when this process gets signum
    (SIGUSR1 by default), e.g. `kill -USR1 <pid>`.  Call from the main
    thread; returns the previous handler (signal.signal's)."""
    def handler(sig, frame):
        try:
            dump(file)
        except Exception:
            traceback.print_exc()
    return signal.signal(signum, handler)


# -- other nodes --------------------------------------------------------------
# A remote info() or stack() spawns _probe on the actor's node: the one
# callable this module lets peers spawn, and it only reads.  Every node
# imports this module when it starts (actors._run_node), so it is there.

_REPLY = "actors._observe.reply"


@spawnable
def _probe(what, ident, reply_to, tag):
    pid = _core._pid(0, ident)
    if what == "info":
        i = info(pid)                     # a dict: any serializer sends it
        value = None if i is None else dict(i.__dict__)
    else:
        st = stack(pid)
        value = None if st is None else \
            [(f.filename, f.lineno, f.name, f.line) for f in st]
    _core.send(reply_to, (_REPLY, tag, value))


def _remote(what, pid, timeout):
    from actors import _cluster
    ident = _core._node_ident(pid.node)
    if ident is None or _cluster.node_name() is None:
        return None
    tag = _core.Ref()
    try:
        _core.spawn(_probe, what, pid.id, _core.self(), tag, node=ident[0])
    except _core.ActorError:
        return None                       # its node is gone
    m = _core.receive(lambda m: type(m) is tuple and len(m) == 3 and
                      m[0] == _REPLY and m[1] == tag, timeout=timeout)
    value = m[2]
    if what == "info" and value is not None:
        value = ActorInfo(**value) if isinstance(value, dict) else value
    return value
