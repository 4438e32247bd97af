# The switching interface the actor runtime (process.pxi, scheduler.pxi,
# api.pxi, remote.pxi) is written against, here over the native Tasklet;
# greenlet_shim.pxi provides the same names over the greenlet package, so
# the runtime is one copy compiled twice (actors._core, actors._core_greenlet).
#
#   TaskletBase       the base type of Process, whose body the runtime
#                     runs (own_main_ptr, own_first_ptr: tasklet.pxi)
#   tasklet_thread(t) the _ThreadState t belongs to (tasklet.pxi)
#   _ThreadState      per thread; the runtime uses main, current and sched
#   thread_state()    the running thread's _ThreadState
#   thread_state_ptr()  the same, borrowed
#   switch_to(t, args, kwargs, exc)
#                     run t; what the resumed switch returns: a new
#                     reference, or NULL with the error set
#   switch_from(me, t, args, kwargs, exc)
#                     switch_to, called by me, the running tasklet
#   tasklet_rearm(t)  a finished tasklet may start again
#   Tasklet           the user-level tasklet type (spawn() refuses it)
#   TaskletExit       what ends a tasklet nobody can resume any more
#   and the inline functions below.


cdef inline void tasklet_prepare(TaskletBase t, TaskletBase parent) noexcept:
    """When first switched to, t runs its _main(); when that returns, t
    ends by switching to parent."""
    t.c.flags |= OWN_MAIN
    core_put(&t.c.parent, parent)


cdef inline bint tasklet_active(TaskletBase t) noexcept:
    """t has started and not finished (it runs or is suspended)."""
    return t.c.stack.start != NULL


cdef inline void tasklet_prefetch(TaskletBase t) noexcept:
    """t is about to be resumed: start loading its saved stack."""
    actors_prefetch(t.c.stack.copy, t.c.stack.saved)


cdef inline Py_ssize_t tasklet_saved(TaskletBase t) noexcept:
    """Bytes of C stack a suspended t keeps on the heap (0 if unknown)."""
    return t.c.stack.saved


cdef inline Py_ssize_t tasklets_saved_total() noexcept:
    """Bytes of C stack every suspended tasklet of the process keeps."""
    return saved_total


cdef inline Py_ssize_t tasklet_root_chunk(TaskletBase t) noexcept:
    """Bytes of t's root frame-stack chunk (0 if none)."""
    return 0 if t.c.chunk == NULL else <Py_ssize_t>actors_chunk_bytes(t.c.chunk)


cdef inline TaskletBase tasklet_current(_ThreadState st):
    """The tasklet running in st's thread."""
    return st.current


cdef inline object tasklet_frame(TaskletBase t):
    """The top frame of a suspended t, else None (it runs, has not started
    or has ended).  Its f_back chain never leads into a stack slice another
    tasklet overwrote (pystate_frames.h)."""
    if t.c.stack.start == NULL or tasklet_running(t):
        return None
    return actors_pystate_frame(&t.c.pystate, PyThreadState_Get())

