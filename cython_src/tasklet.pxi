# The tasklet type and the per-thread switch state.

cimport cython
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
import contextvars
import gc

from libc.string cimport memset
from types import TracebackType

cdef enum:
    STARTED = 1
    MAIN = 2
    OWN_MAIN = 4        # a subtype that runs its _main() instead of run()
    RUN_SET = 8         # a Tasklet's run was given (it may be None)
    RUN_LOOKED_UP = 16  # the caller looked run up for the start: in args
    OWN_CORE = 32       # the core is inside the object (an actor's)

cdef object Context = contextvars.Context
cdef object MAIN_TOKEN = object()     # marks the creation of a main tasklet
cdef object NO_RUN = object()         # `run` was never given (None may be)


class TaskletError(Exception):
    """Bad use of a tasklet: a dead target, a foreign thread, a bad parent."""


class TaskletExit(BaseException):
    """Thrown into a suspended tasklet to end it (greenlet's GreenletExit);
    a tasklet ended by it returns the exception to its parent."""


# Named as greenlet names them: tracebacks, reprs and logs of code written
# for greenlet show these names (actors.TaskletExit is the same class).
TaskletError.__name__ = TaskletError.__qualname__ = "error"
TaskletExit.__name__ = TaskletExit.__qualname__ = "GreenletExit"
TaskletError.__module__ = TaskletExit.__module__ = "actors.greenlet"


@cython.final
@cython.no_gc_clear
cdef class _ThreadState:
    """One per thread: its main tasklet, the running one, what is in flight."""
    cdef TaskletBase main
    cdef TaskletBase current
    # In flight during a switch.  target is an owned reference that
    # resumed() hands to `current`; the context that switched away is the
    # `current` it replaces (a raw field: the hand-over costs no count).
    cdef PyObject *target
    cdef object args         # tuple or None, in flight to the target ((),
                             # between switches, so a bare one stores nothing)
    cdef object kwargs       # dict or None
    cdef object exc          # exception instance in flight, or None
    cdef object trace        # settrace callback or None
    cdef object sched        # the actor scheduler running in this thread
    cdef list pending_kills  # suspended tasklets collected in other threads
    cdef bint alive          # the thread has not ended
    cdef PyThreadState *tstate
    cdef void *chain_end     # where its tasklets' frame chains end (3.15)
    cdef int use_tracing     # the thread's tracing flag across a switch
    cdef Switch sw

    def __dealloc__(self):
        if actors_tls_get() == <PyObject *>self:
            actors_tls_set(NULL)
        # Every tasklet of the thread held self: no chain ends here now.
        actors_pystate_chain_end_free(self.chain_end)


@cython.final
cdef class _ThreadWatch:
    """Kept in the thread's dict: its end marks the end of the thread."""
    cdef _ThreadState st

    def __dealloc__(self):
        cdef _ThreadState st = self.st
        st.alive = False
        # The thread state, with the base frame the tasklets' chain end
        # links to, is freed next (3.15).
        actors_pystate_chain_end_orphan(st.chain_end)
        if actors_tls_get() == <PyObject *>st:
            actors_tls_set(NULL)
        # st and its main tasklet hold each other: let go of it, so that
        # it is freed with its last outside reference, as greenlet's main
        # greenlet is, not at some later collection.  It stays the one that
        # was running (tasklet_running).
        st.main = st.current = None
        clear_slot(st.target)


cdef _ThreadState thread_state():
    cdef PyObject *p = actors_tls_get()
    if p != NULL:
        return <_ThreadState>p
    return new_thread_state()


cdef PyObject *thread_state_ptr():
    """thread_state(), borrowed: the thread's dict keeps it alive."""
    cdef PyObject *p = actors_tls_get()
    if p != NULL:
        return p
    new_thread_state()
    return actors_tls_get()


cdef _ThreadState new_thread_state():
    cdef _ThreadState st = _ThreadState.__new__(_ThreadState)
    cdef TaskletBase main = main_type.__new__(main_type, MAIN_TOKEN)
    st.tstate = PyThreadState_Get()
    st.chain_end = actors_pystate_chain_end(st.tstate)
    st.main = main
    st.current = main
    core_put(&main.c.thread, st)
    main.c.flags = STARTED | MAIN
    main.c.stack.start = <char *>1          # running
    main.c.stack.stop = <char *>-1          # owns the whole stack above
    st.pending_kills = []
    st.args = ()                            # nothing in flight (take_result)
    st.alive = True
    # The thread's dict keeps it alive at least as long as the thread.
    cdef _ThreadWatch watch = _ThreadWatch.__new__(_ThreadWatch)
    watch.st = st
    (<dict><object>PyThreadState_GetDict())["actors._core.thread"] = watch
    actors_tls_set(<PyObject *>st)
    return st


# A tasklet's state lives outside its object, behind one pointer: the
# object is then greenlet's size (head, weak-reference list, dict and one
# pointer), so that C types compiled against greenlet's struct (gevent's
# Greenlet) can derive from actors.greenlet and keep their fields after
# it.  The references in it are owned; tasklet_traverse, tasklet_clear and
# __dealloc__ handle them as Cython handles object fields.
cdef struct TaskletCore:
    Stack stack
    actors_pystate pystate
    actors_chunk *chunk
    unsigned char flags
    PyObject *parent    # TaskletBase, or None (a main tasklet)
    PyObject *thread    # _ThreadState (None only while a main one is made)
    PyObject *run       # a Tasklet's run: given (RUN_SET flag) or running
    PyObject *args      # run's arguments while it runs
    PyObject *kwargs

# An actor's core, inside its Process: the same fields up to `thread`
# (checked at import, below); an actor never has run, args or kwargs
# (OWN_CORE), which spares each one 24 bytes.  Nothing may touch those three
# fields of a core with OWN_CORE.
cdef struct ActorCore:
    Stack stack
    actors_pystate pystate
    actors_chunk *chunk
    unsigned char flags
    PyObject *parent
    PyObject *thread

cdef enum:
    CORE_REFS = 5       # parent ... kwargs, in this order
    ACTOR_CORE_REFS = 2 # parent, thread


cdef inline PyObject **core_refs(TaskletCore *c) noexcept:
    return &c.parent


cdef inline int core_nrefs(TaskletCore *c) noexcept:
    return ACTOR_CORE_REFS if c.flags & OWN_CORE else CORE_REFS


cdef TaskletCore core_probe
cdef ActorCore actor_core_probe
if (sizeof(ActorCore) > <size_t>(<char *>&core_probe.run - <char *>&core_probe)
        or <char *>&core_probe.thread - <char *>&core_probe !=
           <char *>&actor_core_probe.thread - <char *>&actor_core_probe):
    raise ImportError("actors: ActorCore is not a prefix of TaskletCore")


cdef inline void core_put(PyObject **slot, value) noexcept:
    """Store a reference to value in a core slot; the old one goes last
    (its release may run code that reads the slot)."""
    cdef PyObject *old = slot[0]
    Py_INCREF(<PyObject *>value)
    slot[0] = <PyObject *>value
    Py_XDECREF(old)


cdef inline TaskletBase parent_of(TaskletBase t):
    return <TaskletBase>t.c.parent


cdef inline _ThreadState tasklet_thread(TaskletBase t):
    """The thread state t belongs to (the runtime's too: tasklet_iface.pxi)."""
    return <_ThreadState>t.c.thread


cdef inline bint tasklet_here(TaskletBase t) except -1:
    """t belongs to the calling thread (no count changes: on every send)."""
    return t.c.thread == thread_state_ptr()


# The runtime's actors (OWN_MAIN) run a body of their own, and keep their
# core inside their object (they need not be greenlet's size): _core.pyx
# sets these.
cdef void (*own_main_ptr)(TaskletBase) noexcept
cdef PyObject *(*own_first_ptr)(TaskletBase) noexcept
cdef TaskletCore *(*own_core_ptr)(TaskletBase) noexcept


cdef PyObject *first_callable(TaskletBase t) noexcept:
    """Borrowed: what t calls first when it starts, whose root chunk size
    may be known (chunks.pxi), or NULL."""
    if t.c.flags & OWN_MAIN:
        return own_first_ptr(t) if own_first_ptr != NULL else NULL
    return t.c.run


cdef inline bint tasklet_running(TaskletBase t) noexcept:
    """t is its thread's running tasklet, or the main one of an ended
    thread (which was running when it ended)."""
    cdef _ThreadState st = tasklet_thread(t)
    return t is st.current or (t.c.flags & MAIN and not st.alive)


cdef int core_init(TaskletBase self, bint main, bint may_own) except -1:
    """Give a new tasklet object its core (TaskletBase's __cinit__, and
    tasklet_vectorcall's way to it, whose types never own one)."""
    cdef TaskletCore *c = NULL
    cdef int slot
    if may_own and own_core_ptr != NULL:
        c = own_core_ptr(self)            # zeroed with the object
    if c != NULL:
        c.flags = OWN_CORE | OWN_MAIN     # never runs a Tasklet's run
    else:
        c = <TaskletCore *>block_alloc(sizeof(TaskletCore))
        if c == NULL:
            raise MemoryError()
        memset(c, 0, sizeof(TaskletCore))
    for slot in range(core_nrefs(c)):
        Py_INCREF(<PyObject *>None)
        core_refs(c)[slot] = <PyObject *>None
    self.c = c
    if main:
        return 0                          # new_thread_state sets it up
    cdef _ThreadState st = thread_state()
    if st.pending_kills:
        kill_pending(st)
    core_put(&c.thread, st)
    core_put(&c.parent, st.current)
    return 0


# No @cython.freelist: objects it recycles keep CPython's 'finalized' mark,
# so __del__ would never run for a reused one.
cdef class TaskletBase:
    """What every tasklet is in C: its stack slice, its interpreter state,
    its parent and thread, all in its core (`c`).  Tasklet adds greenlet's
    Python API on top; actors derive from this base directly, so that none
    of that API falls into their own namespace.  No cdef methods here or in
    Tasklet: Cython would put a method table pointer in the object."""
    cdef TaskletCore *c

    def __cinit__(self, *args, **kwargs):
        core_init(self, args and args[0] is MAIN_TOKEN, True)

    def __reduce__(self):
        raise TypeError("tasklets cannot be pickled")

    def __sizeof__(self):
        # the object and its core (sys.getsizeof adds the collector's head)
        return Py_TYPE(<PyObject *>self).tp_basicsize + (
            0 if self.c == NULL or self.c.flags & OWN_CORE
            else block_size(sizeof(TaskletCore)))

    # -- end of life --------------------------------------------------------
    # The rule: the memory under a suspended tasklet's frames (its saved
    # stack slice, its root frame-stack chunk, its Stack, which others'
    # `prev` may point to) is never freed while anything can reach those
    # frames.  A suspended tasklet nobody references is ended with
    # TaskletExit, so that its finally blocks run; one that survives that is
    # kept.  This runs from two places (see tasklet_collected):
    #   __del__          the collector's finalizer pass, before it clears
    #                    anything of a garbage cycle (the tasklet is queued
    #                    there and ended once the collection is over, see
    #                    _collection_phase)
    #   tasklet_dealloc  every time the last reference goes, whether or not
    #                    __del__ ran before (CPython runs a finalizer once per
    #                    object, a subclass's __del__ may not call this one)

    def __del__(self):
        tasklet_collected(self)

    def __dealloc__(self):
        cdef TaskletCore *c = self.c
        cdef PyObject *refs[CORE_REFS]
        cdef int i, n
        if c == NULL:
            return
        if c.stack.start != NULL and not c.flags & MAIN:
            # Unreachable (tasklet_dealloc ends or keeps every suspended
            # tasklet); were it reached, leaking beats freeing memory that
            # frames may still point into.
            return
        stack_release(&c.stack)
        if c.chunk != NULL:
            chunk_free(c.chunk)
        actors_pystate_clear(&c.pystate)
        # The references go last, with the core already gone: what they
        # free may run code, none of which may find this tasklet half-freed.
        n = core_nrefs(c)
        for i in range(n):
            refs[i] = core_refs(c)[i]
        self.c = NULL
        if not c.flags & OWN_CORE:
            block_free(c, sizeof(TaskletCore))
        for i in range(n):
            Py_XDECREF(refs[i])


cdef class Tasklet(TaskletBase):
    """A greenlet-like coroutine whose C stack lives on the heap only while
    it is suspended.  ``Tasklet(run=None, parent=None)``.  Its object is
    greenlet's size (40 bytes on 64-bit): a C type compiled against
    greenlet's struct (gevent's Greenlet) derives from it and keeps its
    own fields after that."""
    cdef object __weakref__
    cdef dict __dict__

    def __init__(self, run=NO_RUN, parent=None):
        # Set in place, as greenlet does, not as attributes: a subclass's
        # own run method would make `self.run = None` an instance attribute
        # hiding that method (gevent's Hub passes run=None).
        if run is not NO_RUN:
            set_run(self, run)
        if parent is not None:
            set_parent(self, parent)


    # -- state --------------------------------------------------------------

    @property
    def dead(self):
        # A tasklet left suspended by a thread that ended can never run
        # again: dead, as greenlet reports it.
        return bool(self.c.flags & STARTED) and (
            self.c.stack.start == NULL or not tasklet_thread(self).alive)

    def __bool__(self):
        # Still true after its thread ended, as greenlet's (until its
        # dead is read, there).
        return self.c.stack.start != NULL

    @property
    def run(self):
        if not self.c.flags & RUN_SET:
            raise AttributeError("run")
        return <object>self.c.run

    @run.setter
    def run(self, value):
        set_run(self, value)

    @run.deleter
    def run(self):
        if not self.c.flags & RUN_SET:
            raise AttributeError("run")
        core_put(&self.c.run, None)
        self.c.flags &= ~RUN_SET

    @property
    def parent(self):
        return <object>self.c.parent

    # The errors and messages are greenlet's: code written for it
    # matches on them.
    @parent.setter
    def parent(self, value):
        set_parent(self, value)

    @parent.deleter
    def parent(self):
        raise AttributeError("can't delete attribute")

    @property
    def gr_frame(self):
        """The top frame of a suspended tasklet, else None."""
        return tasklet_frame(self)

    @property
    def gr_context(self):
        cdef PyObject **slot
        if tasklet_running(self):
            if tasklet_thread(self) is not thread_state():
                raise ValueError("cannot get context of a greenlet that is "
                                 "running in a different thread")
            slot = actors_thread_context(tasklet_thread(self).tstate)
        else:
            slot = actors_pystate_context(&self.c.pystate)
        return None if slot[0] == NULL else <object>slot[0]

    @gr_context.setter
    def gr_context(self, value):
        cdef PyObject **slot
        if value is not None and type(value) is not Context:
            raise TypeError("greenlet context must be a contextvars.Context "
                            "or None")
        if tasklet_running(self):
            if tasklet_thread(self) is not thread_state():
                raise ValueError("cannot set context of a greenlet that is "
                                 "running in a different thread")
            slot = actors_thread_context(tasklet_thread(self).tstate)
            actors_thread_context_changed(tasklet_thread(self).tstate)
        else:
            slot = actors_pystate_context(&self.c.pystate)
        old = slot[0]
        if value is None:
            slot[0] = NULL
        else:
            Py_INCREF(<PyObject *>value)
            slot[0] = <PyObject *>value
        Py_XDECREF(old)

    @property
    def _stack_saved(self):
        """Bytes of C stack this tasklet keeps on the heap (for benchmarks)."""
        return self.c.stack.saved

    @property
    def _root_chunk(self):
        """Bytes of the frame-stack chunk it started with (0: none yet)."""
        return 0 if self.c.chunk == NULL else actors_chunk_bytes(self.c.chunk)

    @gr_context.deleter
    def gr_context(self):
        raise AttributeError("can't delete context attribute")

    def __repr__(self):
        # greenlet's format, which code and logs written for it parse; otid
        # identifies the thread (its state object here).
        cdef _ThreadState th = tasklet_thread(self)
        cdef bint gone = not th.alive
        name = actors_type_name(self)
        if self.dead:
            return "<%s object at %#x (otid=%#x) %sdead>" % (
                name, id(self), id(th),
                "(thread exited) " if gone else "")
        if gone:
            where = " (thread exited)"
        elif self is th.current and th is thread_state():
            where = " current"
        else:
            where = " suspended" if self.c.flags & STARTED else ""
        return "<%s object at %#x (otid=%s)%s%s%s%s>" % (
            name, id(self), "%#x" % id(th) if self.c.flags & STARTED
            else "0x(nil)", where,   # greenlet binds a thread at the start
            " active" if self.c.stack.start != NULL else "",
            " started" if self.c.flags & STARTED else " pending",
            " main" if self.c.flags & MAIN else "")


cdef int set_run(Tasklet t, value) except -1:
    if t.c.flags & STARTED:
        raise AttributeError("run cannot be set after the tasklet started")
    core_put(&t.c.run, value)
    t.c.flags |= RUN_SET
    return 0


cdef int set_parent(Tasklet t, value) except -1:
    # The errors and messages are greenlet's: code written for it
    # matches on them.
    if t.c.flags & MAIN:
        raise AttributeError("cannot set the parent of a main greenlet")
    if not isinstance(value, Tasklet):
        raise TypeError("GreenletChecker: Expected any type of greenlet, "
                        "not %s" % actors_type_name(value))
    cdef TaskletBase p = value
    while p is not None:
        if p is t:
            raise ValueError("cyclic parent chain")
        p = parent_of(p)
    if (<TaskletBase>value).c.thread != t.c.thread:
        if t.c.flags & STARTED:
            raise ValueError("parent cannot be on a different thread")
        # Not started: it belongs to its parent's thread, as in
        # greenlet (a switch from any other thread is refused).
        core_put(&t.c.thread, tasklet_thread(<TaskletBase>value))
    core_put(&t.c.parent, value)
    return 0


cdef class greenlet(Tasklet):
    """Tasklet under greenlet's name: the type of actors.greenlet, and of
    every thread's main tasklet once that module is imported (code written
    for greenlet checks type(getcurrent()).__name__).  Nothing else differs:
    the actor runtime's own types derive from TaskletBase."""


cdef extern from *:
    """
    /* A static type's name, as repr, errors and __module__ show it. */
    static void
    actors_rename_static_type(PyTypeObject *tp, const char *name)
    {
        tp->tp_name = name;
        PyType_Modified(tp);
    }
    """
    void actors_rename_static_type(PyTypeObject *tp, const char *name) noexcept


# greenlet's own full name: repr(), PyArg_Parse's "must be greenlet.greenlet"
# and type(g).__module__ read it, and callers match on all three.
actors_rename_static_type(<PyTypeObject *>greenlet, "greenlet.greenlet")


# greenlet's collector rule before CPython 3.15: a started, unfinished
# greenlet of a live thread is not a collectable object, so a garbage cycle
# through one is kept (its finally never runs) rather than ended; greenlet
# 3.15 collects it, as TaskletBase does on every version.  Code written for
# greenlet sees the same; the actor runtime's types keep collecting.
cdef extern from *:
    """
    #define ACTORS_GREENLET_KEEPS_SUSPENDED (PY_VERSION_HEX < 0x030F0000)
    """
    bint ACTORS_GREENLET_KEEPS_SUSPENDED


cdef int greenlet_is_gc(PyObject *o) noexcept:
    # Called by the collector mid-collection: reads only, allocates nothing.
    if tasklet_suspended(o) and tasklet_thread(<TaskletBase>o).alive:
        return 0
    return 1


if ACTORS_GREENLET_KEEPS_SUSPENDED:
    (<PyTypeObject *>greenlet).tp_is_gc = greenlet_is_gc


# The type of the main tasklets made from now on (see _use_greenlet_mains).
cdef type main_type = Tasklet


def _use_greenlet_mains():
    """actors.greenlet is imported: main tasklets are greenlets from now on,
    this thread's own too if it has one (the two types differ only in name:
    same layout and slots, so the object can change type in place).  Other
    threads' existing main tasklets stay Tasklets."""
    global main_type
    main_type = greenlet
    cdef PyObject *p = actors_tls_get()
    if p != NULL and type((<_ThreadState>p).main) is Tasklet:
        actors_set_static_type(<PyObject *>(<_ThreadState>p).main,
                               <PyTypeObject *>greenlet)


cdef extern from *:
    """
    /* o's type becomes tp, a static type of the same layout (no type
       references to move: static types are not reference counted here). */
    static void
    actors_set_static_type(PyObject *o, PyTypeObject *tp)
    {
        if (Py_TYPE(o)->tp_basicsize != tp->tp_basicsize ||
                (Py_TYPE(o)->tp_flags | tp->tp_flags) & Py_TPFLAGS_HEAPTYPE)
            Py_FatalError("actors: retyping between different layouts");
        Py_SET_TYPE(o, tp);
    }
    """
    void actors_set_static_type(PyObject *o, PyTypeObject *tp) noexcept


cdef inline bint tasklet_suspended(PyObject *o) noexcept:
    """o, a TaskletBase, has frames that may run again: started, not
    finished, not a thread's main tasklet (whose frames are the thread's)."""
    cdef TaskletCore *c = (<TaskletBase>o).c
    return c != NULL and c.stack.start != NULL and not c.flags & MAIN


cdef void tasklet_collected(TaskletBase t) noexcept:
    """t lost its last reference (or only a garbage cycle holds it).  Once
    this returns, t is finished, or someone holds a reference to it: its
    own thread's pending kills, the kept-forever reference below, or
    whoever resurrected it."""
    if not tasklet_suspended(<PyObject *>t):
        return
    cdef _ThreadState st = thread_state()
    if t is st.current:
        return
    cdef _ThreadState th = tasklet_thread(t)
    if th is st:
        if in_collection or not collections_watched():
            # Not now: see collection_phase.  This list resurrects it (so
            # the collector clears nothing it reaches) until then.
            st.pending_kills.append(t)
        else:
            kill_collected(t, st)
    elif th.alive:
        # Only its own thread can run it: it is ended there, at that
        # thread's next switch (this list resurrects it until then), and
        # that thread's scheduler is woken for it.
        th.pending_kills.append(t)
        wake_for_kills(th)
    elif actors_pystate_abandon(&t.c.pystate, th.chain_end):
        # Its thread is gone and its stack with it; its frames' references
        # were released (pystate_reclaim.h before 3.14): nothing of it runs
        # again, and its C stack holds no reference (see run_tasklet), so
        # it may be freed.
        t.c.stack.start = NULL
    else:
        # Its thread is gone and its frames could not be released (see
        # actors_pystate_abandon: a generator's frame among them): keep it
        # forever rather than free memory they point into.  Its run() and
        # the arguments it was started with were held for its C stack only
        # (run_greenlet_style borrows them from these fields), and that
        # stack never runs again.
        if not t.c.flags & OWN_CORE:
            core_put(&t.c.run, None)
            core_put(&t.c.args, None)
            core_put(&t.c.kwargs, None)
        Py_INCREF(<PyObject *>t)


# No switch while the cycle collector runs.  CPython's collector keeps the
# heads of its lists of garbage in its own C stack frame, and a tasklet
# run from a finalizer (or from a dealloc the collector's clearing causes)
# lives on stack bytes that the switch copied over that frame: freeing an
# object that sits at either end of such a list rewrites the list head
# there, corrupting the tasklet's stack and the collector's list.  So a
# tasklet collected meanwhile is queued, and ended when the collection is
# over (its "stop" callback), or at its thread's next switch.
cdef bint in_collection = False      # the GIL: one collection at a time


def _collection_phase(phase, info):
    global in_collection
    in_collection = phase == "start"
    if not in_collection:
        p = actors_tls_get()
        if p != NULL and (<_ThreadState>p).pending_kills:
            kill_pending(<_ThreadState>p)

gc.callbacks.append(_collection_phase)


cdef bint collections_watched() noexcept:
    """False if the program took _collection_phase out of gc.callbacks
    (gc.callbacks.clear()): then whether a collection runs now is unknown,
    so the caller defers, and the callback is put back for the next one."""
    global in_collection
    try:
        if _collection_phase in gc.callbacks:
            return True
        gc.callbacks.append(_collection_phase)
    except Exception:
        pass                       # gc.callbacks replaced by something odd
    in_collection = False
    return False


cdef void wake_for_kills(_ThreadState st) noexcept:
    """A kill was queued for st's thread: if an actor scheduler runs there
    (maybe asleep in its poller), have it run the kill now."""
    sched = st.sched
    if sched is None:
        return
    try:
        sched._call_soon(_kill_pending_here)
    except BaseException:
        PyErr_WriteUnraisable(sched)


def _kill_pending_here():
    """Run the kills queued for this thread (from its scheduler's loop)."""
    cdef _ThreadState st = thread_state()
    if st.pending_kills:
        kill_pending(st)


# Every type of tasklet gets the slots below in front of Cython's: its
# tp_dealloc, tp_clear and tp_traverse (and tp_new, for a type with a
# __dict__).  Cython's dealloc, clear and
# traverse of a subtype call the base type's functions directly, so each
# static type (TaskletBase, Tasklet, the runtime's Process) is wrapped; a
# Python subclass reaches them through CPython's subtype_dealloc/_clear,
# which call the nearest static base's slot.
cdef enum:
    MAX_TASKLET_TYPES = 8

cdef PyTypeObject *tasklet_types[MAX_TASKLET_TYPES]
cdef destructor cython_dealloc[MAX_TASKLET_TYPES]
cdef inquiry cython_clear[MAX_TASKLET_TYPES]
cdef traverseproc cython_traverse[MAX_TASKLET_TYPES]
cdef newfunc cython_new[MAX_TASKLET_TYPES]
cdef int n_tasklet_types = 0


cdef int tasklet_type_index(PyTypeObject *tp) noexcept:
    """The wrapped static type a slot of tp (an object's type) was called
    for: tp or its nearest wrapped base."""
    cdef int i
    while tp != NULL:
        for i in range(n_tasklet_types):
            if tasklet_types[i] == tp:
                return i
        tp = tp.tp_base
    Py_FatalError("actors: a tasklet of an unknown type")
    return -1


cdef void tasklet_dealloc(PyObject *o) noexcept:
    cdef int i = tasklet_type_index(Py_TYPE(o))
    if tasklet_suspended(o) and dealloc_resurrects(o, tasklet_types[i]):
        return
    cython_dealloc[i](o)


cdef bint dealloc_resurrects(PyObject *o, PyTypeObject *static_type) noexcept:
    """The last reference to o, a suspended tasklet, is gone: end it (or
    keep it) as tasklet_collected says, with o alive meanwhile, as
    PyObject_CallFinalizerFromDealloc does for a finalizer.  True when o
    lives on (someone holds it): its memory must not be freed."""
    cdef PyObject *et
    cdef PyObject *ev
    cdef PyObject *etb
    cdef Py_ssize_t refs
    Py_SET_REFCNT(o, 1)
    PyErr_Fetch(&et, &ev, &etb)          # a dealloc leaves the error as it was
    tasklet_collected(<TaskletBase>o)
    PyErr_Restore(et, ev, etb)
    refs = Py_REFCNT_PTR(o) - 1
    Py_SET_REFCNT(o, refs)
    if refs == 0:
        return False                      # it finished: free it
    # It lives on.  Called from a Python subclass's subtype_dealloc, which
    # drops the instance's reference to its heap type once we return.
    if Py_TYPE(o).tp_flags & Py_TPFLAGS_HEAPTYPE and \
            not static_type.tp_flags & Py_TPFLAGS_HEAPTYPE:
        Py_INCREF(<PyObject *>Py_TYPE(o))
    return True


cdef int tasklet_clear(PyObject *o) noexcept:
    # The collector clears the objects of a garbage cycle after finalizing
    # them; a suspended tasklet that survived its TaskletExit is not
    # cleared: its frames run again (at its next kill) and use its fields.
    # The cycle is broken elsewhere, or the tasklet is finalized again at
    # the next collection (kill_collected lets it be).
    if tasklet_suspended(o):
        return 0
    cdef inquiry clear = cython_clear[tasklet_type_index(Py_TYPE(o))]
    if clear != NULL and clear(o):
        return -1
    cdef TaskletCore *c = (<TaskletBase>o).c
    cdef int i
    if c != NULL:                         # its references, as Cython's would
        for i in range(core_nrefs(c)):
            core_put(&core_refs(c)[i], None)
    return 0


cdef int tasklet_traverse(PyObject *o, visitproc visit, void *arg) noexcept:
    # Cython's traverse knows the object fields; add the core's references
    # and the ones in its pystate.
    cdef traverseproc traverse = cython_traverse[tasklet_type_index(Py_TYPE(o))]
    cdef int r = 0 if traverse == NULL else traverse(o, visit, arg)
    cdef TaskletCore *c = (<TaskletBase>o).c
    cdef int i
    if r or c == NULL:
        return r
    for i in range(core_nrefs(c)):
        if core_refs(c)[i] != NULL:
            r = visit(core_refs(c)[i], arg)
            if r:
                return r
    return actors_pystate_traverse(&c.pystate, visit, arg)


cdef extern from "Python.h":
    Py_ssize_t PyDict_GET_SIZE(PyObject *d)
    void clear_slot "Py_CLEAR" (PyObject *slot)   # a macro: takes the lvalue


cdef PyObject *tasklet_new(PyTypeObject *tp, PyObject *args,
                           PyObject *kwds) noexcept:
    # Cython's tp_new gives every Tasklet its __dict__ at once, an empty
    # dict that most tasklets never use and that costs each parked one ~70
    # bytes.  Without it the slot stays NULL until the first attribute is
    # set (generic setattr and Cython's __dict__ getter create it then).
    cdef int i = tasklet_type_index(tp)
    cdef PyObject **d
    cdef PyObject *o = cython_new[i](tp, args, kwds)
    if o != NULL:
        d = <PyObject **>(<char *>o + tp.tp_dictoffset)
        if d[0] != NULL and PyDict_GET_SIZE(d[0]) == 0:
            clear_slot(d[0])
    return o


cdef extern from *:
    """
    /* type_call, as a call of a type without a vectorcall slot makes it:
       with a tuple and a dict, which actors_call_impl (core.pxd) builds. */
    static PyObject *
    actors_type_call_tuple(PyObject *tp, PyObject *args, PyObject *kwargs)
    {
        PyObject *r = Py_TYPE(tp)->tp_call(tp, args,
                                           kwargs == Py_None ? NULL : kwargs);
        Py_DECREF(args);
        return r;
    }

    static PyObject *
    actors_type_call(PyObject *tp, PyObject *const *args, Py_ssize_t n,
                     PyObject *kwnames)
    {
        return actors_call_impl(actors_type_call_tuple, tp, args, n, kwnames);
    }

    static PyObject *
    actors_tp_alloc(PyObject *tp)
    {
        return ((PyTypeObject *)tp)->tp_alloc((PyTypeObject *)tp, 0);
    }

    /* f becomes tp's vectorcall if tp's __init__ is like's. */
    static void
    actors_set_type_vectorcall(PyTypeObject *tp, PyTypeObject *like,
                               void *f)
    {
        if (tp->tp_init == like->tp_init)
            tp->tp_vectorcall = (vectorcallfunc)f;
    }
    """
    object actors_type_call(object tp, PyObject **args, Py_ssize_t n,
                            PyObject *kwnames)
    object actors_tp_alloc(object tp)
    void actors_set_type_vectorcall(PyTypeObject *tp, PyTypeObject *like,
                                    void *f)
    Py_ssize_t PyVectorcall_NARGS(size_t nargsf)


cdef object tasklet_vectorcall(object tp, PyObject **args, size_t nargsf,
                               PyObject *kwnames):
    # Tasklet(run, parent) and greenlet(...) in one step: no argument tuple,
    # no separate __init__ call, no empty __dict__ made and dropped
    # (tasklet_new): about 570 fewer instructions per tasklet.  Only the
    # exact types take this slot (CPython never inherits it), whose
    # __init__ is Tasklet's; any other argument list goes the usual way,
    # for the usual error.
    cdef Py_ssize_t n = PyVectorcall_NARGS(nargsf), i
    if n > 2:
        return actors_type_call(tp, args, n, kwnames)
    cdef PyObject *run = args[0] if n > 0 else NULL
    cdef PyObject *parent = args[1] if n > 1 else NULL
    cdef Py_ssize_t nkw = 0 if kwnames == NULL else PyTuple_GET_SIZE(
        <tuple>kwnames)
    for i in range(nkw):
        name = <object>PyTuple_GET_ITEM(<tuple>kwnames, i)
        if name == "run" and run == NULL:
            run = args[n + i]
        elif name == "parent" and parent == NULL:
            parent = args[n + i]
        else:
            return actors_type_call(tp, args, n, kwnames)
    cdef Tasklet self = <Tasklet>actors_tp_alloc(tp)
    core_init(self, False, False)
    if run != NULL and <object>run is not NO_RUN:
        set_run(self, <object>run)
    if parent != NULL and <object>parent is not None:
        set_parent(self, <object>parent)
    return self


cdef int wrap_tasklet_type(type t) except -1:
    global n_tasklet_types
    cdef PyTypeObject *tp = <PyTypeObject *>t
    if n_tasklet_types == MAX_TASKLET_TYPES:
        raise RuntimeError("actors: too many tasklet types")
    tasklet_types[n_tasklet_types] = tp
    cython_dealloc[n_tasklet_types] = tp.tp_dealloc
    cython_clear[n_tasklet_types] = tp.tp_clear
    cython_traverse[n_tasklet_types] = tp.tp_traverse
    cython_new[n_tasklet_types] = tp.tp_new
    n_tasklet_types += 1
    tp.tp_dealloc = tasklet_dealloc
    if tp.tp_traverse != NULL:
        # (Not TaskletBase, which holds no object field and so has no
        # collector slots: its subtypes' own traverse and clear call its
        # slots, which must not lead back here.)
        tp.tp_clear = tasklet_clear
        tp.tp_traverse = tasklet_traverse
    if tp.tp_dictoffset > 0:
        tp.tp_new = tasklet_new
        actors_set_type_vectorcall(tp, <PyTypeObject *>Tasklet,
                                   <void *>tasklet_vectorcall)
    for sub in t.__subclasses__():
        wrap_tasklet_type(sub)
    return 0


# Cython has made every type of this module before this runs, the
# runtime's Process (defined further on) too.
wrap_tasklet_type(TaskletBase)


# greenlet's __dict__ can be replaced by another dict (Cython's descriptor
# only reads it), and its errors name the type as C does (tp_name).
cdef extern from *:
    """
    static PyObject *
    actors_dict_get(PyObject *self, void *closure)
    {
        return PyObject_GenericGetDict(self, closure);
    }
    static int
    actors_dict_set(PyObject *self, PyObject *value, void *closure)
    {
        if (value == NULL) {
            PyErr_SetString(PyExc_TypeError, "__dict__ may not be deleted");
            return -1;
        }
        if (!PyDict_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "__dict__ must be a dictionary");
            return -1;
        }
        return PyObject_GenericSetDict(self, value, closure);
    }
    static PyGetSetDef actors_dict_getset = {
        "__dict__", actors_dict_get, actors_dict_set, NULL, NULL};
    static int
    actors_settable_dict(PyTypeObject *type)
    {
        PyObject *descr = PyDescr_NewGetSet(type, &actors_dict_getset);
        int r;
        if (!descr)
            return -1;
        r = PyDict_SetItemString(type->tp_dict, "__dict__", descr);
        Py_DECREF(descr);
        PyType_Modified(type);
        return r;
    }
    /* Attribute lookups on o may run Python code (a __getattribute__ or
       __getattr__ of a subclass of base). */
    static int
    actors_own_getattr(PyObject *o, PyTypeObject *base)
    {
        return Py_TYPE(o)->tp_getattro != base->tp_getattro;
    }
    /* The attribute a type's instances find under name (borrowed): a
       subclass's own run comes before the base's descriptor. */
    static PyObject *
    actors_type_attr(PyObject *o, PyObject *name)
    {
        return _PyType_Lookup(Py_TYPE(o), name);
    }
    static PyObject *
    actors_type_name(PyObject *o)
    {
        return PyUnicode_FromString(Py_TYPE(o)->tp_name);
    }
    """
    int actors_settable_dict(PyTypeObject *type) except -1
    str actors_type_name(object o)
    bint actors_own_getattr(object o, PyTypeObject *base)
    PyObject *actors_type_attr(object o, object name)

actors_settable_dict(<PyTypeObject *>Tasklet)
actors_settable_dict(<PyTypeObject *>greenlet)
cdef object TASKLET_RUN = Tasklet.__dict__["run"]


cdef bint run_lookup_is_python(TaskletBase t) noexcept:
    """greenlet's start looks run up as an attribute, so a subclass's own
    run (a method or property: gevent's Hub passes run=None to __init__
    and defines run()) or __getattribute__ decides what runs, not the run
    given to __init__."""
    if type(t) is Tasklet or type(t) is greenlet:
        return False
    return actors_own_getattr(t, <PyTypeObject *>Tasklet) or \
        actors_type_attr(t, "run") != <PyObject *>TASKLET_RUN


# The implementations take over the reference to `args` that the C wrapper
# (core.pxd) hands them, so that the wrapper's frame is gone (a tail call)
# before they switch: a suspended tasklet's saved stack does not carry it.

cdef PyObject *switch_impl(self, PyObject *args, kwargs) noexcept:
    cdef PyObject *st = thread_state_ptr()
    if args != <PyObject *>(<_ThreadState>st).args or (
            (<TaskletBase>self).c.stack.start == NULL and
            needs_greenlet_path(<TaskletBase>self)):
        return switch_impl_held_ptr(self, args, kwargs)
    # A bare switch: the thread state holds these arguments already (the
    # () it keeps between switches), so the reference handed over can go
    # now and the switch is a tail call.  No frame of this function then
    # waits under the switch, on every suspended tasklet's saved stack.
    Py_DECREF(args)
    return switch_on_ptr(st, <TaskletBase>self, <object>args, kwargs, None)


cdef PyObject *switch_impl_held(self, PyObject *args, kwargs) noexcept:
    cdef object a = <object>args
    Py_XDECREF(args)                      # `a` holds the one handed over
    if (<TaskletBase>self).c.stack.start == NULL and \
            needs_greenlet_path(<TaskletBase>self):
        return switch_greenlet_way(<Tasklet>self, a, kwargs, None)
    # Through the pointer: inlined here, switch_to would make this frame,
    # which a tasklet suspended in switch() keeps on its saved stack, the
    # size of both.
    return switch_to_ptr(<TaskletBase>self, a, kwargs, None)


cdef PyObject *(*switch_impl_held_ptr)(object, PyObject *, object) noexcept
switch_impl_held_ptr = switch_impl_held


def _throw_args(typ=TaskletExit, val=None, tb=None):
    return make_exception(typ, val, tb)


cdef PyObject *throw_impl(self, PyObject *args, kwargs) noexcept:
    cdef object a = <object>args
    Py_XDECREF(args)                      # `a` holds the one handed over
    try:
        exc = _throw_args(*a, **(kwargs or {}))
    except BaseException as e:
        return actors_set_error(<PyObject *>e)
    if (<TaskletBase>self).c.stack.start == NULL and \
            needs_greenlet_path(<TaskletBase>self):
        return switch_greenlet_way(<Tasklet>self, None, None, exc)
    return switch_to(<TaskletBase>self, None, None, exc)


actors_install_methods(<PyTypeObject *>Tasklet, <actors_method_fn>switch_impl,
                       <actors_method_fn>throw_impl)


cdef bint needs_greenlet_path(TaskletBase t) noexcept:
    """A switch to a dead tasklet, or a start whose run lookup may run
    Python code (a subclass's run or __getattribute__)."""
    if t.c.flags & STARTED:
        return True                       # not running: dead
    return not t.c.flags & RUN_SET or run_lookup_is_python(t)


@cython.profile(False)
cdef PyObject *switch_greenlet_way(Tasklet target, args, kwargs,
                                   exc) noexcept:
    """greenlet's switch into a dead or unstarted greenlet.  A dead target
    passes what it is sent on to its first live parent (a thrown
    GreenletExit arriving as a value, as one a tasklet ends with).  An
    unstarted one has its run looked up here, in the caller, before its
    stack exists, as greenlet's start does: a lookup that switches into the
    tasklet starts it, and this switch then resumes it like any other."""
    cdef TaskletBase t = target
    cdef PyObject *r
    if t.c.flags & STARTED and t.c.stack.start == NULL:
        if isinstance(exc, TaskletExit):
            args, kwargs, exc = (exc,), None, None
        while t.c.flags & STARTED and t.c.stack.start == NULL:
            t = parent_of(t)
    if t.c.flags & STARTED or tasklet_thread(t) is not thread_state() or \
            not isinstance(t, Tasklet):
        return switch_to(t, args, kwargs, exc)
    target = <Tasklet>t
    if target.c.flags & RUN_SET and not run_lookup_is_python(target):
        return switch_to(target, args, kwargs, exc)
    r = actors_getattr(<PyObject *>target, "run")
    if r == NULL:
        return NULL
    run = <object>r
    Py_XDECREF(r)
    if not target.c.flags & STARTED:
        core_put(&target.c.args, run)
        target.c.flags |= RUN_LOOKED_UP
    elif target.c.stack.start == NULL:      # started and ended meanwhile
        return switch_greenlet_way(target, args, kwargs, exc)
    return switch_to(target, args, kwargs, exc)


cdef object make_exception(typ, val, tb):
    """greenlet.throw's argument rules, as one exception instance."""
    if tb is not None and not isinstance(tb, TracebackType):
        raise TypeError("throw() third argument must be a traceback object")
    if isinstance(typ, type) and issubclass(typ, BaseException):
        if isinstance(val, typ):
            exc = val
        elif val is None:
            exc = typ()
        elif isinstance(val, tuple):
            exc = typ(*val)
        else:
            exc = typ(val)
    elif isinstance(typ, BaseException):
        if val is not None:
            raise TypeError("instance exception may not have a separate value")
        exc = typ
    else:
        raise TypeError("exceptions must be classes, or instances, not %s"
                        % type(typ).__name__)
    if tb is not None:
        exc = exc.with_traceback(tb)
    return exc


cdef void kill_collected(TaskletBase t, _ThreadState st) noexcept:
    """End a suspended tasklet nobody references with TaskletExit, so that
    its finally blocks run.  This may happen in the middle of a switch (the
    last reference was the one being dropped), so what is in flight to the
    resumed context is put back afterwards."""
    args, kwargs, exc = st.args, st.kwargs, st.exc
    parent = parent_of(t)
    core_put(&t.c.parent, st.current)
    cdef PyObject *r = switch_to(t, None, None, TaskletExit())
    if r == NULL:
        PyErr_WriteUnraisable(t)
    Py_XDECREF(r)
    st.args, st.kwargs, st.exc = args, kwargs, exc
    if t.c.stack.start != NULL:             # it caught the exit and lives on
        core_put(&t.c.parent, parent)
        if Py_REFCNT(t) > 1:
            # Someone holds it (in a collection: at least the collector):
            # when it is dropped again, or found in garbage again, it is
            # ended again (as greenlet does).  tasklet_dealloc sees every
            # drop; the collector calls a finalizer only while this mark
            # is clear.
            actors_gc_clear_finalized(<PyObject *>t)
        else:
            # Nobody can switch to it ever again, but its stack and frames
            # may still be linked from others': keep it.
            Py_INCREF(<PyObject *>t)


cdef void kill_pending(_ThreadState st) noexcept:
    while st.pending_kills:
        kill_collected(st.pending_kills.pop(), st)


cdef PyObject *switch_to(TaskletBase target, args, kwargs, exc) noexcept:
    """Switch to target and return what the resumed switch() returns: a new
    reference, or NULL with the exception it receives set as raised."""
    return switch_in(<_ThreadState>thread_state_ptr(), target, args, kwargs,
                     exc)


cdef PyObject *switch_from(TaskletBase me, TaskletBase target, args, kwargs,
                           exc) noexcept:
    """switch_to() called by me, the running tasklet: its thread is this
    one, so no thread-local read (borrowed: see switch_in)."""
    cdef PyObject *st = me.c.thread
    return switch_in(<_ThreadState>st, target, args, kwargs, exc)


cdef PyObject *switch_on(PyObject *st, TaskletBase target, args, kwargs,
                         exc) noexcept:
    """switch_to() given the caller's thread state (borrowed)."""
    return switch_in(<_ThreadState>st, target, args, kwargs, exc)


cdef PyObject *(*switch_to_ptr)(TaskletBase, object, object, object) noexcept
switch_to_ptr = switch_to
cdef PyObject *(*switch_on_ptr)(PyObject *, TaskletBase, object, object,
                                object) noexcept
switch_on_ptr = switch_on


# The thread state is handed to the switching functions as an argument,
# cast from a borrowed pointer: a function's arguments are its caller's
# references, so the C stack of a context that never resumes (a tasklet
# left suspended when its thread ends) holds no reference to it, which
# would leak (see run_tasklet).  The thread's dict keeps it alive.
cdef inline PyObject *switch_in(_ThreadState st, TaskletBase target, args,
                                kwargs, exc) noexcept:
    if st.pending_kills:
        kill_pending(st)
    if target.c.thread != <PyObject *>st:
        if not (<_ThreadState>target.c.thread).alive:
            return usage_error("cannot switch to a different thread (which "
                               "happens to have exited)")
        return other_thread_error_ptr(st, target)
    if target.c.stack.start == NULL and target.c.flags & STARTED:
        return usage_error("cannot switch to a dead tasklet")
    # Between switches st holds (), None, None, what most switches carry
    # (block()'s, a bare switch()): then nothing is stored.
    if args is not st.args:
        st.args = args
    if kwargs is not st.kwargs:
        st.kwargs = kwargs
    if exc is not st.exc:
        st.exc = exc
    if target is st.current:
        return take_result_ptr(st)
    # A tail call: this frame, sized for the checks and stores above, is
    # not kept under the switch on every suspended tasklet's saved stack.
    return switch_take_ptr(st, target)


cdef PyObject *switch_take(_ThreadState st, TaskletBase target) noexcept:
    if switch_stack(st, target) < 0:
        return NULL
    return take_result_ptr(st)


# Called through pointers so that the compiler does not inline them into
# switch_in: their temporaries would enlarge its frame, which every tasklet
# suspended in a switch keeps on its saved stack.
cdef PyObject *(*other_thread_error_ptr)(_ThreadState, TaskletBase) noexcept
cdef PyObject *(*take_result_ptr)(_ThreadState) noexcept
cdef PyObject *(*switch_take_ptr)(_ThreadState, TaskletBase) noexcept
switch_take_ptr = switch_take


cdef PyObject *other_thread_error(_ThreadState st, TaskletBase target) noexcept:
    # greenlet's message, which callers match on
    try:
        message = ("Cannot switch to a different thread\n\tCurrent:  %r\n"
                   "\tExpected: %r" % (st.main, tasklet_thread(target).main))
    except BaseException as e:
        return actors_set_error(<PyObject *>e)
    return usage_error(message)


other_thread_error_ptr = other_thread_error


cdef PyObject *usage_error(str message) noexcept:
    error = TaskletError(message)
    return actors_set_error(<PyObject *>error)


cdef PyObject *take_result(_ThreadState st) noexcept:
    """What the switch() of the resumed context returns (or raises); st is
    left holding (), None, None."""
    cdef PyObject *a = <PyObject *>st.args
    cdef PyObject *r
    # The actor runtime's every switch passes () or (value,) and nothing
    # else: answered without generic truth and length calls, and () is
    # left in place.
    if st.kwargs is None and st.exc is None and type(st.args) is tuple:
        if PyTuple_GET_SIZE(<object>a) == 0:
            Py_INCREF(a)
            return a
        if PyTuple_GET_SIZE(<object>a) == 1:
            r = PyTuple_GET_ITEM(<object>a, 0)
            Py_INCREF(r)
            st.args = ()
            return r
    args, kwargs, exc = st.args, st.kwargs, st.exc
    st.args = ()
    st.kwargs = st.exc = None
    if exc is not None:
        return actors_set_error(<PyObject *>exc)
    if kwargs is None:
        if not args:
            result = ()
        elif len(args) == 1:
            result = args[0]
        else:
            result = args
    elif not args:
        result = kwargs
    else:
        result = (args, kwargs)
    Py_INCREF(<PyObject *>result)
    return <PyObject *>result


take_result_ptr = take_result


@cython.profile(False)
cdef inline int switch_stack(_ThreadState st, TaskletBase target) noexcept:
    """Suspend the running context and continue in `target`; returns once
    something switches back here."""
    # Every suspended tasklet's saved stack holds this frame, so only `st`
    # lives across the switch: the work before and after it is in functions
    # of their own, called through pointers so that they are not inlined.
    # No reference-counted locals here: a dying tasklet's frame is abandoned
    # by this switch, and whatever it held would leak.
    switch_prepare_ptr(st, target)
    if actors_switch_stack(save_cb, restore_cb, &st.sw) != 0:
        return switch_refused_ptr(st)
    # Resumed; what happened in between is in st.
    switch_resumed_ptr(st)
    return 0


cdef extern from "handover.h":
    PyObject *current_handover "actors_current_handover" (_ThreadState st,
                                                          PyObject *t) noexcept


cdef void switch_prepare(_ThreadState st, TaskletBase target) noexcept:
    cdef Stack *cur = &st.current.c.stack
    cdef PyThreadState *ts = st.tstate
    st.use_tracing = actors_pystate_tracing(ts)
    if cur.start != NULL:                 # a dying tasklet keeps nothing
        if st.current.c.chunk != NULL:      # did its frames outgrow the root?
            actors_chunk_learn(ts, st.current.c.chunk, CHUNK_SIZE)
        actors_pystate_save(&st.current.c.pystate, ts)
    Py_INCREF(<PyObject *>target)           # for resumed() to hand over
    st.target = <PyObject *>target
    st.sw.current = cur
    st.sw.target = &target.c.stack
    st.sw.starting = NULL if target.c.flags & STARTED else <PyObject *>target


cdef int switch_refused(_ThreadState st) noexcept:
    """save_cb could not save a slice (out of memory): nothing switched."""
    cdef TaskletBase target = <TaskletBase>st.target
    if st.sw.starting != NULL:
        target.c.stack.start = target.c.stack.stop = NULL
    clear_slot(st.target)
    if st.current.c.stack.start == NULL:
        Py_FatalError("actors: out of memory ending a tasklet")
    actors_pystate_restore(&st.current.c.pystate, st.tstate, st.use_tracing)
    PyErr_NoMemory()
    return -1


cdef void switch_resumed(_ThreadState st) noexcept:
    actors_pystate_restore(&(<TaskletBase>st.target).c.pystate, st.tstate,
                           st.use_tracing)
    resumed(st)


cdef void (*switch_prepare_ptr)(_ThreadState, TaskletBase) noexcept
cdef int (*switch_refused_ptr)(_ThreadState) noexcept
cdef void (*switch_resumed_ptr)(_ThreadState) noexcept
switch_prepare_ptr = switch_prepare
switch_refused_ptr = switch_refused
switch_resumed_ptr = switch_resumed


cdef void resumed(_ThreadState st) noexcept:
    """Bookkeeping once the thread state is this context's again: the only
    place references change hands, so finalizers run in a sane state."""
    # st.current's reference to the context that switched away becomes
    # ours, st.target's becomes st.current's: no count changes but the
    # last one.
    cdef PyObject *origin = current_handover(st, st.target)
    st.target = NULL
    if (<TaskletBase>origin).c.stack.start == NULL:   # it died: reclaim it
        stack_release(&(<TaskletBase>origin).c.stack)
        if (<TaskletBase>origin).c.chunk != NULL:
            chunk_free((<TaskletBase>origin).c.chunk)
            (<TaskletBase>origin).c.chunk = NULL
    if st.trace is not None:
        call_trace(st, <TaskletBase>origin)
    Py_DECREF(origin)


cdef void call_trace(_ThreadState st, TaskletBase origin) noexcept:
    # What this switch delivers is taken before the tracer runs, as
    # greenlet does: a tracer that switches elsewhere and back would
    # otherwise hand this context what those other switches carried.
    args, kwargs, exc = st.args, st.kwargs, st.exc
    event = "switch" if exc is None else "throw"
    try:
        st.trace(event, (origin, st.current))
        st.args, st.kwargs, st.exc = args, kwargs, exc
    except BaseException as e:
        # The tracer's error replaces what the switch delivers, and a tracer
        # that fails is dropped (greenlet does the same).
        st.trace = None
        st.args = st.kwargs = None
        st.exc = e


cdef void tasklet_main(Switch *sw) noexcept:
    """First frame of every tasklet, entered from restore_cb on its own
    stack.  Never returns: it ends by switching to the first live parent."""
    cdef actors_anchor anchor
    cdef PyObject *me = sw.starting
    sw.starting = NULL
    # Borrowed pointers only (see switch_in): this frame is never resumed
    # if the tasklet's thread ends while it is suspended.  (Cast from a
    # PyObject * variable: cast straight from the attribute, Cython would
    # hold a new reference to the thread state here for the whole run.)
    cdef PyObject *stp = (<TaskletBase>me).c.thread
    run_tasklet(<TaskletBase>me, <_ThreadState>stp, &anchor)
    # Only C from here: this frame is abandoned by the last switch, so it
    # must hold no reference.
    finish_tasklet(me)


cdef void (*tasklet_main_ptr)(Switch *) noexcept
tasklet_main_ptr = tasklet_main


cdef actors_chunk *root_chunk(TaskletBase self) noexcept:
    """A new root frame-stack chunk for self, its size in its header."""
    cdef size_t size = chunk_size_for(first_callable(self))
    cdef actors_chunk *chunk = chunk_alloc(size)
    if chunk != NULL:
        actors_chunk_set_bytes(chunk, size)
    return chunk


# Through pointers: not inlined into run_tasklet, whose frame every
# suspended tasklet keeps on its saved stack (with tasklet_main's, into
# which it is inlined: the two hold three registers and the anchor).
cdef actors_chunk *(*root_chunk_ptr)(TaskletBase) noexcept
root_chunk_ptr = root_chunk
cdef void (*tasklet_begin_ptr)(TaskletBase, _ThreadState,
                               actors_anchor *) noexcept
cdef void (*tasklet_end_ptr)(TaskletBase, _ThreadState) noexcept


cdef void run_tasklet(TaskletBase self, _ThreadState st,
                      actors_anchor *anchor) noexcept:
    # No reference held here across the run: a suspended tasklet whose
    # thread ends is freed without ever resuming (actors_pystate_abandon),
    # and whatever its C stack held would leak.  Its thread state (st, an
    # argument) is kept alive by its core's thread, run and its arguments
    # by the core's run, args and kwargs.
    tasklet_begin_ptr(self, st, anchor)
    if self.c.flags & OWN_MAIN:
        st.args = ()
        st.kwargs = st.exc = None
        own_main_ptr(self)
        st.args = (None,)
    else:
        run_greenlet_ptr(<Tasklet>self, st)
    tasklet_end_ptr(self, st)


cdef void tasklet_begin(TaskletBase self, _ThreadState st,
                        actors_anchor *anchor) noexcept:
    """The thread state of a tasklet about to make its first call."""
    cdef actors_chunk *chunk = root_chunk_ptr(self)
    if chunk == NULL:
        Py_FatalError("actors: out of memory for a frame stack")
    self.c.chunk = chunk
    self.c.flags |= STARTED
    actors_pystate_start(&self.c.pystate, st.tstate, st.use_tracing, anchor,
                         chunk, actors_chunk_bytes(chunk))
    resumed(st)


cdef void tasklet_end(TaskletBase self, _ThreadState st) noexcept:
    """Its first call returned: what the thread state keeps of it."""
    if not actors_pystate_chunk_is_root(st.tstate, self.c.chunk):
        Py_FatalError("actors: a finished tasklet left frames behind")
    actors_pystate_keep_context(&self.c.pystate, st.tstate)


tasklet_begin_ptr = tasklet_begin
tasklet_end_ptr = tasklet_end


cdef void run_greenlet_style(Tasklet self, _ThreadState st) noexcept:
    """run(*args, **kwargs) of a Tasklet; its result or exception goes to
    st for the parent.  Called through a pointer so that the C compiler
    cannot inline it: an actor's saved stack then does not carry room for
    this frame.  For the same reason what comes before and after the call
    is in functions of their own (also called through pointers): a
    suspended tasklet's stack holds only this small frame."""
    # Called through the C API so that no frame of ours joins the traceback
    # of what run() raises.
    if greenlet_prepare_ptr(self, st):
        greenlet_done_ptr(self, st, actors_call_start(
            self.c.run, self.c.args,
            NULL if self.c.kwargs == <PyObject *>None else self.c.kwargs))


cdef bint greenlet_prepare(Tasklet self, _ThreadState st) noexcept:
    """Take run and its arguments for the call into the tasklet's fields
    (the call's references are the tasklet's, not a C frame's; fields
    rather than one tuple keep a parked tasklet smaller).  False: there is
    no call, and the outcome is in st already."""
    args, kwargs, exc = st.args, st.kwargs, st.exc
    st.args = ()
    st.kwargs = st.exc = None
    cdef PyObject *r
    # run is looked up even when an exception was thrown in before the
    # start, as greenlet does.
    if self.c.flags & RUN_LOOKED_UP:
        # The caller looked it up (switch_greenlet_way); a run given but
        # not used is dropped here, in the tasklet, as greenlet drops it
        # (its finalizer may switch).
        run = <object>self.c.args
        core_put(&self.c.args, None)
        self.c.flags &= ~(RUN_LOOKED_UP | RUN_SET)
        core_put(&self.c.run, None)
        Py_INCREF(<PyObject *>run)
        r = <PyObject *>run
    elif self.c.flags & RUN_SET and not run_lookup_is_python(self):
        run = <object>self.c.run
        core_put(&self.c.run, None)
        self.c.flags &= ~RUN_SET
        Py_INCREF(<PyObject *>run)
        r = <PyObject *>run
    else:
        r = actors_getattr(<PyObject *>self, "run")
        if r != NULL and self.c.flags & RUN_SET:   # given; the lookup won
            self.c.flags &= ~RUN_SET
            core_put(&self.c.run, None)
    if r == NULL:
        exc = <object>actors_fetch_error()   # no run: that is the error
        Py_XDECREF(<PyObject *>exc)
        # It never ran: startable again once this ends, as greenlet's
        # start fails before the greenlet exists.
        self.c.flags &= ~STARTED
    else:
        run = <object>r
        Py_XDECREF(r)
        if exc is None:
            core_put(&self.c.run, run)
            core_put(&self.c.args, args)
            core_put(&self.c.kwargs, kwargs)
            return True
        # else it was thrown in before it ever ran
    greenlet_outcome(st, exc)
    return False


cdef void greenlet_done(Tasklet self, _ThreadState st, PyObject *r) noexcept:
    """The call returned r (a new reference, or NULL with an error set)."""
    core_put(&self.c.run, None)
    core_put(&self.c.args, None)
    core_put(&self.c.kwargs, None)
    if r != NULL:
        st.args = (<object>r,)
        Py_XDECREF(r)
        return
    exc = <object>actors_fetch_error()
    Py_XDECREF(<PyObject *>exc)           # the cast above took its own ref
    greenlet_outcome(st, exc)


cdef void greenlet_outcome(_ThreadState st, exc) noexcept:
    if isinstance(exc, TaskletExit):      # an exit is a result, not an error
        st.args = (exc,)
    else:
        st.exc = exc


cdef bint (*greenlet_prepare_ptr)(Tasklet, _ThreadState) noexcept
cdef void (*greenlet_done_ptr)(Tasklet, _ThreadState, PyObject *) noexcept
greenlet_prepare_ptr = greenlet_prepare
greenlet_done_ptr = greenlet_done


cdef void (*run_greenlet_ptr)(Tasklet, _ThreadState) noexcept
run_greenlet_ptr = run_greenlet_style


cdef void tasklet_rearm(TaskletBase t) noexcept:
    """Make a finished tasklet startable again (class-style actors run one
    tasklet start per batch of messages)."""
    stack_release(&t.c.stack)
    t.c.stack.start = t.c.stack.stop = NULL
    t.c.stack.prev = NULL
    t.c.flags &= ~STARTED


cdef void finish_tasklet(PyObject *me) noexcept:
    """Switch to the first live parent for good; borrowed pointers only."""
    cdef PyObject *parent = (<TaskletBase>me).c.parent
    while (<TaskletBase>parent).c.stack.start == NULL and \
            (<TaskletBase>parent).c.flags & STARTED:   # dead parents pass it up
        parent = (<TaskletBase>parent).c.parent
    cdef PyObject *st = (<TaskletBase>me).c.thread   # no new reference
    (<TaskletBase>me).c.stack.start = NULL      # dying
    switch_stack(<_ThreadState>st, <TaskletBase>parent)
    Py_FatalError("actors: a dead tasklet was resumed")
