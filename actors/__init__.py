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

# Seeing inside a running system: imported when first used (name -> module).
_OBSERVING = {
    "ActorInfo": "_observe", "dump": "_observe", "dump_on_signal": "_observe",
    "info": "_observe", "processes": "_observe", "stack": "_observe",
    "Watchdog": "_watchdog", "watchdog": "_watchdog",
    "metrics": "_metrics", "Trace": "_trace", "trace": "_trace",
    "observe": "_observer",
}

_CLUSTER = ("NodeConfig", "NodeDown", "NodeStartError", "nodes",
            "monitor_node", "demonitor_node", "node_name", "node_stats")


def _run_node(config, main, args, kwargs):
    """run(node=config)'s root actor: the cluster layer, imported (with
    ZeroMQ) only when a node is run."""
    from actors._cluster import run_node
    return run_node(config, main, args, kwargs)


_core._set_node_runner(_run_node)


def __getattr__(name):
    # The cluster layer brings in ZeroMQ: import it when first used.
    if name in _CLUSTER:
        from actors import _cluster
        return getattr(_cluster, name)
    if name in _OBSERVING:
        import importlib
        module = importlib.import_module("actors." + _OBSERVING[name])
        value = globals()[name] = getattr(module, name)
        return value
    raise AttributeError("module 'actors' has no attribute %r" % name)


__all__ = ["BACKEND", "Tasklet", "TaskletError", "TaskletExit", "getcurrent",
           "gettrace", "settrace", "ChildInfo", "ChildSpec", "StartError",
           "Supervisor", "SupervisorError", "System", "ask_async",
           "spawnable", "AskCycleError", "TraceEvent"]
__all__ += list(_RUNTIME) + list(_CLUSTER) + list(_OBSERVING)
