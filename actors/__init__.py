"""actors: millions of lightweight actors in one Python process.

The whole product (tasklets, and the actor runtime: run, spawn, send,
receive, ask, links, monitors, supervisors, registry, groups, timers,
clusters) on either backend: the native core, or the same runtime over the
greenlet package where there is none.  BACKEND says which ("native" or
"greenlet"); ACTORS_BACKEND chooses (see _backend).
"""
from actors._backend import (
    BACKEND,
    Tasklet,
    TaskletError,
    TaskletExit,
    core as _core,
    getcurrent,
    gettrace,
    settrace,
)

__version__ = "0.1.0"

_RUNTIME = (
    "Actor", "ActorDeadError", "ActorError", "Down", "Exit", "MailboxFull",
    "NameTakenError",
    "Pid", "Ref", "Request", "Timeout", "Timer", "ask", "dead_letters",
    "demonitor", "exit", "join", "leave", "link", "members", "monitor",
    "receive", "register", "run", "self", "send", "send_after", "sleep",
    "spawn", "spawn_link", "spawn_monitor", "trap_exits", "unlink",
    "unregister", "wait_readable", "wait_writable", "whereis",
)
globals().update((_name, getattr(_core, _name)) for _name in _RUNTIME)

from actors._asyncio import ask_async  # noqa: E402
from actors._remote import spawnable  # noqa: E402
from actors._supervisor import (  # noqa: E402
    ChildInfo, ChildSpec, StartError, Supervisor, SupervisorError,
)
from actors._system import System  # noqa: E402

AskCycleError = _core.AskCycleError
TraceEvent = _core.TraceEvent

# Seeing inside a running system, and the cluster's types and calls (the
# node layer itself, with ZeroMQ, is imported by run(node=...)).  No module
# __getattr__ imports them lazily: CPython 3.11-3.13 do not specialize
# attribute lookups on a module that has one (see _nodeapi).
from actors._observe import (  # noqa: E402
    ActorInfo, dump, dump_on_signal, info, processes, stack,
)
from actors._watchdog import Watchdog, watchdog  # noqa: E402
from actors._metrics import metrics  # noqa: E402
from actors._trace import Trace, trace  # noqa: E402
from actors._observer import observe  # noqa: E402
from actors._nodeconfig import (  # noqa: E402
    NodeConfig, NodeDown, NodeStartError,
)
from actors._nodeapi import (  # noqa: E402
    demonitor_node, monitor_node, node_name, node_stats, nodes,
)


def _run_node(config, main, args, kwargs):
    """run(node=config)'s root actor: the cluster layer, imported (with
    ZeroMQ) only when a node is run."""
    from actors._cluster import run_node
    return run_node(config, main, args, kwargs)


_core._set_node_runner(_run_node)


__all__ = ["BACKEND", "Tasklet", "TaskletError", "TaskletExit", "getcurrent",
           "gettrace", "settrace", "ChildInfo", "ChildSpec", "StartError",
           "Supervisor", "SupervisorError", "System", "ask_async",
           "spawnable", "AskCycleError", "TraceEvent"]
__all__ += list(_RUNTIME) + [
    "ActorInfo", "dump", "dump_on_signal", "info", "processes", "stack",
    "Watchdog", "watchdog", "metrics", "Trace", "trace", "observe",
    "NodeConfig", "NodeDown", "NodeStartError", "nodes", "monitor_node",
    "demonitor_node", "node_name", "node_stats",
]
