# The switching interface of tasklet_iface.pxi over the greenlet package:
# what the actor runtime needs where there is no native core (a CPython
# without a thread-state header, PyPy, a platform without a switch stub).
# Only the public C API and greenlet's Python API: no interpreter internals.
#
# A tasklet here is a TaskletBase that owns a greenlet while it runs or is
# suspended; its greenlet is made when it is first switched to, with its
# parent's greenlet as parent, and runs its _main().  The running tasklet is
# tracked by switch_to; a greenlet switched to behind its back (a user's
# greenlet inside an actor) is seen by tasklet_current().

cimport cython
import greenlet as _greenlet

cdef object greenlet_type = _greenlet.greenlet
cdef object greenlet_current = _greenlet.getcurrent

# The user-level tasklet names are greenlet's own.
Tasklet = _greenlet.greenlet
TaskletExit = _greenlet.GreenletExit
TaskletError = _greenlet.error
getcurrent = _greenlet.getcurrent
settrace = _greenlet.settrace
gettrace = _greenlet.gettrace

cdef enum:
    STARTED = 1
    OWN_MAIN = 4


@cython.final
@cython.no_gc_clear
cdef class _ThreadState:
    """One per thread: its main tasklet, the running one, its scheduler."""
    cdef TaskletBase main
    cdef TaskletBase current
    cdef object sched

    def __dealloc__(self):
        if actors_tls_get() == <PyObject *>self:
            actors_tls_set(NULL)


@cython.final
cdef class _ThreadWatch:
    """Kept in the thread's dict: its end forgets the thread's state."""
    cdef _ThreadState st

    def __dealloc__(self):
        if actors_tls_get() == <PyObject *>self.st:
            actors_tls_set(NULL)


cdef _ThreadState thread_state():
    cdef PyObject *p = actors_tls_get()
    if p != NULL:
        return <_ThreadState>p
    return new_thread_state()


cdef PyObject *thread_state_ptr():
    """thread_state(), borrowed: the thread's dict keeps it alive."""
    cdef _ThreadState st = thread_state()
    return <PyObject *>st


cdef _ThreadState new_thread_state():
    cdef _ThreadState st = _ThreadState.__new__(_ThreadState)
    cdef TaskletBase main = TaskletBase.__new__(TaskletBase)
    g = greenlet_current()
    while g.parent is not None:           # the thread's main greenlet
        g = g.parent
    main.set_greenlet(g)
    main.thread = st
    main.flags = STARTED
    st.main = st.current = main
    cdef _ThreadWatch watch = _ThreadWatch.__new__(_ThreadWatch)
    watch.st = st
    (<dict><object>PyThreadState_GetDict())["actors._core_greenlet.thread"] = watch
    actors_tls_set(<PyObject *>st)
    return st


# The native core keeps a tasklet's state in this (an actor's inside its
# Process); here a greenlet holds it.
cdef struct ActorCore:
    unsigned char unused


cdef class TaskletBase:
    """The base of Process: a greenlet while it runs or is suspended."""
    cdef object gr              # its greenlet; None: not started, or ended
    cdef object gr_switch       # gr.switch, bound once
    cdef TaskletBase _parent
    cdef TaskletBase resume_to  # who runs next if gr is ended from outside
    cdef _ThreadState thread
    cdef unsigned char flags

    cdef void _main(self) noexcept:
        """The body; must not raise."""
        pass

    cdef inline void set_greenlet(self, g):
        self.gr = g
        self.gr_switch = None if g is None else g.switch

    def __reduce__(self):
        raise TypeError("tasklets cannot be pickled")


cdef inline void tasklet_prepare(TaskletBase t, TaskletBase parent) noexcept:
    t.flags |= OWN_MAIN
    t._parent = parent
    t.thread = parent.thread


cdef inline _ThreadState tasklet_thread(TaskletBase t):
    return t.thread


cdef inline bint tasklet_here(TaskletBase t) except -1:
    return <PyObject *>t.thread == thread_state_ptr()


cdef inline bint tasklet_active(TaskletBase t) noexcept:
    return t.gr is not None


cdef inline void tasklet_prefetch(TaskletBase t) noexcept:
    pass                                  # greenlet's stack is its own


cdef inline Py_ssize_t tasklet_saved(TaskletBase t) noexcept:
    return 0                              # greenlet does not say


cdef inline Py_ssize_t tasklets_saved_total() noexcept:
    return 0


cdef inline Py_ssize_t tasklet_root_chunk(TaskletBase t) noexcept:
    return 0                              # greenlet's own frame stacks


cdef void tasklet_rearm(TaskletBase t) noexcept:
    t.flags &= ~STARTED


cdef object tasklet_frame(TaskletBase t):
    """The top frame of a suspended t, else None."""
    if t.gr is None or t is t.thread.current:
        return None
    return t.gr.gr_frame


cdef TaskletBase tasklet_current(_ThreadState st):
    """st.current, unless a greenlet switch we did not make put another
    greenlet in charge: that one is no actor (a fresh TaskletBase)."""
    cur = greenlet_current()
    if st.current.gr is cur:
        return st.current
    if st.main.gr is cur:
        return st.main
    cdef TaskletBase other = TaskletBase.__new__(TaskletBase)
    other.thread = st
    other.flags = STARTED
    return other


def _tasklet_body(TaskletBase t):
    """The run of every tasklet's greenlet."""
    t._main()
    cdef _ThreadState st = t.thread
    if t.resume_to is not None:           # ended from outside (collected)
        st.current = t.resume_to
        t.resume_to = None
    t.set_greenlet(None)                  # the greenlet ends with this call


cdef PyObject *switch_from(TaskletBase me, TaskletBase target, args, kwargs,
                           exc) noexcept:
    return switch_to(target, args, kwargs, exc)


cdef PyObject *switch_to(TaskletBase target, args, kwargs, exc) noexcept:
    """Switch to target; a new reference, or NULL with the error set."""
    cdef _ThreadState st = thread_state()
    cdef TaskletBase me = st.current
    cdef PyObject *r
    if target.thread is not st:
        return usage_error("cannot switch to a tasklet of a different thread")
    if target is me:                      # greenlet's rules for a self-switch
        if exc is not None:
            return actors_set_error(<PyObject *>exc)
        result = () if not args else args[0] if len(args) == 1 else args
        Py_INCREF(<PyObject *>result)
        return <PyObject *>result
    if target.gr is None:
        if target.flags & STARTED:
            return usage_error("cannot switch to a dead tasklet")
        try:
            target.set_greenlet(greenlet_type(_tasklet_body,
                                              target._parent.gr))
        except BaseException as e:
            return actors_set_error(<PyObject *>e)
        target.flags |= STARTED
        args, kwargs = (target,), None
    st.current = target
    if exc is not None:
        throw = target.gr.throw
        exc_args = (exc,)
        r = actors_call(<PyObject *>throw, <PyObject *>exc_args, NULL)
    else:
        r = actors_call(<PyObject *>target.gr_switch, <PyObject *>args,
                        NULL if kwargs is None else <PyObject *>kwargs)
    # Resumed: by a switch_to (st.current is me), or by greenlet itself
    # ending a collected suspended tasklet with GreenletExit in another's
    # context, which runs again when this one ends.
    if st.current is not me:
        me.resume_to = st.current
    st.current = me
    return r


cdef PyObject *usage_error(str message) noexcept:
    error = TaskletError(message)
    return actors_set_error(<PyObject *>error)
