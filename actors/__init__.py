"""actors: millions of lightweight actors in one Python process.

The actor runtime (run, spawn, send, receive, ask, links, monitors,
supervisors, registry, groups, timers) runs on the native core; the tasklet
names (Tasklet, getcurrent, ...) follow ACTORS_BACKEND (see _backend).
"""
from actors._backend import (
    BACKEND,
    Tasklet,
    TaskletError,
    TaskletExit,
    getcurrent,
    gettrace,
    settrace,
)

__version__ = "0.1.0"
__all__ = ["BACKEND", "Tasklet", "TaskletError", "TaskletExit", "getcurrent",
           "gettrace", "settrace"]

try:
    from actors._core import (
        Actor, ActorDeadError, ActorError, Down, Exit, NameTakenError, Pid,
        Ref, Request, Timeout, Timer, ask, dead_letters, demonitor, exit,
        join, leave, link, members, monitor, receive, register, run, self,
        send, send_after, sleep, spawn, spawn_link, spawn_monitor, trap_exits,
        unlink, unregister, wait_readable, wait_writable, whereis,
    )
except ImportError:   # no native core: tasklets on greenlet only
    pass
else:
    from actors._asyncio import ask_async
    from actors._supervisor import (
        ChildInfo, ChildSpec, StartError, Supervisor, SupervisorError,
    )
    from actors._system import System
    _CLUSTER = ("NodeConfig", "NodeDown", "NodeStartError", "nodes",
                "monitor_node", "demonitor_node", "node_name", "node_stats")

    def __getattr__(name):
        # The cluster layer brings in ZeroMQ: import it when first used.
        if name in _CLUSTER:
            from actors import _cluster
            return getattr(_cluster, name)
        raise AttributeError("module 'actors' has no attribute %r" % name)

    __all__ += list(_CLUSTER)
    __all__ += [
        "ChildInfo", "ChildSpec", "StartError", "Supervisor",
        "SupervisorError",
        "Actor", "ActorDeadError", "ActorError", "Down", "Exit",
        "NameTakenError", "Pid", "Ref", "Request", "System", "Timeout",
        "Timer", "ask", "ask_async", "dead_letters", "demonitor", "exit",
        "join", "leave", "link", "members", "monitor", "receive", "register",
        "run", "self", "send", "send_after", "sleep", "spawn", "spawn_link",
        "spawn_monitor", "trap_exits", "unlink", "unregister",
        "wait_readable", "wait_writable", "whereis",
    ]
