# The actor runtime, written against the switching interface of
# tasklet_iface.pxi.  Included by _core.pyx (over the native Tasklet) and by
# _core_greenlet.pyx (over greenlet_shim.pxi): one copy, two extensions.

include "counters.pxi"
include "process.pxi"
include "proctable.pxi"
include "scheduler.pxi"
include "timeouts.pxi"
include "api.pxi"
include "remote.pxi"
include "bound.pxi"
include "zmqrecv.pxi"
include "introspect.pxi"
include "askcycle.pxi"

TASKLET_NAMES = ["Tasklet", "TaskletExit", "TaskletError", "getcurrent",
                 "settrace", "gettrace"]
RUNTIME_NAMES = [
    "Pid", "Ref", "Timer", "Actor", "Request", "Down", "Exit",
    "ActorError", "ActorDeadError", "NameTakenError", "Timeout",
    "MailboxFull",
    "run", "spawn", "spawn_link", "spawn_monitor", "self", "send",
    "receive", "ask", "sleep", "send_after", "wait_readable",
    "wait_writable", "link", "unlink", "monitor", "demonitor",
    "trap_exits", "exit", "register", "unregister", "whereis", "join",
    "leave", "members", "dead_letters"]
