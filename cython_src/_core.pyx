# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: embedsignature=True, embedsignature.format=clinic
"""The native tasklet core: greenlet-like coroutines on heap-sliced C stacks.

One extension built from the .pxi files it includes:
  arena.pxi    size-classed blocks in huge-page regions
  stack.pxi    the slices of the C stack and the callbacks the stub calls
  chunks.pxi   small root chunks for the tasklets' frame stacks
  tasklet.pxi  the Tasklet type, per-thread state, switching
  tasklet_iface.pxi  the switching interface the actor runtime uses
  greenlet_capi.pxi  greenlet's C API capsule, for C extensions
  runtime.pxi  the actor runtime (also compiled over greenlet, into
               actors._core_greenlet: see _core_greenlet.pyx):
    process.pxi  actors: pids, mailboxes, links, monitors, exits, names, groups
    proctable.pxi  the table of live actors, and its array by Pid id
    scheduler.pxi  the per-thread scheduler: run queue, timers, fds, wake-ups
    api.pxi      spawn, receive, ask, sleep, timers, run, class-style Actor
    remote.pxi   the core's side of a cluster: node ids, the remote router
    zmqrecv.pxi  a node's inbox read through libzmq directly
"""
from cpython.object cimport PyObject
from core cimport *

import sys

cdef extern from "Python.h":
    int PY_VERSION_HEX

if not ACTORS_PYSTATE_SUPPORTED:
    raise ImportError(
        "actors' native core does not support %s %d.%d; use "
        "ACTORS_BACKEND=greenlet" % (sys.implementation.name,
                                      sys.version_info[0], sys.version_info[1]))

# The thread-state layout can move between patch releases (3.14.4 moved a
# field): run only on the exact CPython this was compiled against.
BUILT_FOR = "%d.%d.%d" % (PY_VERSION_HEX >> 24, (PY_VERSION_HEX >> 16) & 0xFF,
                          (PY_VERSION_HEX >> 8) & 0xFF)
_running = "%d.%d.%d" % sys.version_info[:3]
if _running != BUILT_FOR:
    raise ImportError(
        "actors' native core was compiled for CPython %s but runs on %s, "
        "whose interpreter-state layout may differ; rebuild it with this "
        "interpreter: python -m pip install --force-reinstall --no-cache-dir "
        "<actors source>" % (BUILT_FOR, _running))

include "observe.pxi"
include "arena.pxi"
include "stack.pxi"
include "chunks.pxi"
include "tasklet.pxi"
include "tasklet_iface.pxi"
include "runtime.pxi"


# The core runs an actor's body through these (a TaskletBase has no cdef
# methods: see tasklet.pxi).
cdef void process_main(TaskletBase t) noexcept:
    (<Process>t)._main()


cdef PyObject *process_first(TaskletBase t) noexcept:
    return (<Process>t).first_callable()


cdef TaskletCore *process_core(TaskletBase t) noexcept:
    return <TaskletCore *>&(<Process>t).core if isinstance(t, Process) \
        else NULL


own_main_ptr = process_main
own_first_ptr = process_first
own_core_ptr = process_core
include "greenlet_capi.pxi"


def getcurrent():
    """The tasklet running in this thread (its main tasklet at first)."""
    cdef _ThreadState st = thread_state()
    if st.pending_kills:
        kill_pending(st)
    return st.current


cdef extern from *:
    """
    #if PY_VERSION_HEX >= 0x030D0000
    #define actors_is_finalizing() Py_IsFinalizing()
    #else
    #define actors_is_finalizing() _Py_IsFinalizing()
    #endif
    """
    int actors_is_finalizing() noexcept


def _greenlet_getcurrent():
    """greenlet's getcurrent(): refused (RuntimeError) once the interpreter
    is finalizing, as greenlet's shutdown guard does; callers' __del__
    methods run then catch it."""
    if actors_is_finalizing():
        raise RuntimeError("greenlet is being finalized")
    cdef _ThreadState st = thread_state()
    if st.pending_kills:
        kill_pending(st)
    return st.current


def settrace(callback):
    """Call callback(event, (origin, target)) on every switch in this
    thread; event is 'switch' or 'throw'.  Returns the previous callback."""
    cdef _ThreadState st = thread_state()
    old, st.trace = st.trace, callback
    return old


def gettrace():
    return thread_state().trace


# greenlet's type carries these too; code written for it reaches them there.
for _name, _value in (("getcurrent", staticmethod(getcurrent)),
                      ("settrace", staticmethod(settrace)),
                      ("gettrace", staticmethod(gettrace)),
                      ("GreenletExit", TaskletExit), ("TaskletExit", TaskletExit),
                      ("error", TaskletError), ("TaskletError", TaskletError)):
    (<dict>(<PyTypeObject *>Tasklet).tp_dict)[_name] = _value
PyType_Modified(<PyTypeObject *>Tasklet)
(<dict>(<PyTypeObject *>greenlet).tp_dict)["getcurrent"] = \
    staticmethod(_greenlet_getcurrent)
PyType_Modified(<PyTypeObject *>greenlet)


def _stats():
    """Internal counters, for tests and benchmarks."""
    return {"chunk_size": CHUNK_SIZE, "blocks_in_use": blocks_in_use,
            "regions": regions, "processes": len(processes)}


BACKEND = "native"
__all__ = TASKLET_NAMES + RUNTIME_NAMES
