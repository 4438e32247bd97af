# The public API's types.  The runtime fills this namespace from the backend
# in use (actors/__init__.py), so a type checker reads it here; the
# test_typing tests hold this file to the runtime with mypy.stubtest.
from actors._asyncio import ask_async as ask_async
from actors._metrics import metrics as metrics
from actors._observe import (
    ActorInfo as ActorInfo,
    dump as dump,
    dump_on_signal as dump_on_signal,
    info as info,
    processes as processes,
    stack as stack,
)
from actors._observer import observe as observe
from actors._trace import Trace as Trace, trace as trace
from actors._watchdog import Watchdog as Watchdog, watchdog as watchdog
from actors._cluster import (
    NodeConfig as NodeConfig,
    NodeDown as NodeDown,
    NodeStartError as NodeStartError,
    demonitor_node as demonitor_node,
    monitor_node as monitor_node,
    node_name as node_name,
    node_stats as node_stats,
    nodes as nodes,
)
from actors._core import (
    BACKEND as BACKEND,
    Actor as Actor,
    ActorDeadError as ActorDeadError,
    ActorError as ActorError,
    Down as Down,
    Exit as Exit,
    NameTakenError as NameTakenError,
    Pid as Pid,
    Ref as Ref,
    Request as Request,
    Tasklet as Tasklet,
    TaskletError as TaskletError,
    TaskletExit as TaskletExit,
    Timeout as Timeout,
    MailboxFull as MailboxFull,
    AskCycleError as AskCycleError,
    TraceEvent as TraceEvent,
    Timer as Timer,
    ask as ask,
    dead_letters as dead_letters,
    demonitor as demonitor,
    exit as exit,
    getcurrent as getcurrent,
    gettrace as gettrace,
    join as join,
    leave as leave,
    link as link,
    members as members,
    monitor as monitor,
    receive as receive,
    register as register,
    run as run,
    self as self,
    send as send,
    send_after as send_after,
    settrace as settrace,
    sleep as sleep,
    spawn as spawn,
    spawn_link as spawn_link,
    spawn_monitor as spawn_monitor,
    trap_exits as trap_exits,
    unlink as unlink,
    unregister as unregister,
    wait_readable as wait_readable,
    wait_writable as wait_writable,
    whereis as whereis,
)
from actors._remote import spawnable as spawnable
from actors._supervisor import (
    ChildInfo as ChildInfo,
    ChildSpec as ChildSpec,
    StartError as StartError,
    Supervisor as Supervisor,
    SupervisorError as SupervisorError,
)
from actors._system import System as System

__version__: str

__all__ = [
    "BACKEND", "Tasklet", "TaskletError", "TaskletExit", "getcurrent",
    "gettrace", "settrace", "ChildInfo", "ChildSpec", "StartError",
    "Supervisor", "SupervisorError", "System", "ask_async", "spawnable",
    # the runtime (actors._core)
    "Actor", "ActorDeadError", "ActorError", "Down", "Exit", "NameTakenError",
    "MailboxFull", "Pid", "Ref", "Request", "Timeout", "Timer", "ask", "dead_letters",
    "demonitor", "exit", "join", "leave", "link", "members", "monitor",
    "receive", "register", "run", "self", "send", "send_after", "sleep",
    "spawn", "spawn_link", "spawn_monitor", "trap_exits", "unlink",
    "unregister", "wait_readable", "wait_writable", "whereis",
    # the cluster layer (actors._cluster)
    "NodeConfig", "NodeDown", "NodeStartError", "nodes", "monitor_node",
    "demonitor_node", "node_name", "node_stats",
    # seeing inside a running system
    "AskCycleError", "TraceEvent", "ActorInfo", "dump", "dump_on_signal",
    "info", "processes", "stack", "Watchdog", "watchdog", "metrics", "Trace",
    "trace", "observe"]
