/* What every supported CPython (3.11 and later) swaps the same way, with
 * the thread-state fields named the same.  Included by each
 * pystate_pyXY.h once its actors_pystate is declared; that struct ends
 * with ACTORS_PYSTATE_COMMON_FIELDS (pystate_compat.h): datastack_chunk,
 * datastack_top, exc_info, exc_value and context.
 *
 * The version header may define, before including this:
 *
 *   ACTORS_PYSTATE_HAS_TRACING  it defines actors_pystate_tracing itself
 *                    (3.11: the flag in its _PyCFrame); else it returns 0
 *   ACTORS_CHAIN_IS_EMPTY(ts)   the thread's frame chain is as
 *                    actors_pystate_start left it (default: always, where
 *                    the chain is not checked)
 *   ACTORS_TS_CURRENT_FRAME(ts) the thread's top-frame pointer, an lvalue:
 *                    then actors_frame_object_from is defined
 *   ACTORS_TRASH_NESTING(ts)    the trashcan's nesting counter, an lvalue,
 *                    where the version has one (3.11, 3.12; then its
 *                    actors_pystate has an `int trash_nesting`)
 *
 * and, where the version includes pystate_frames.h (3.12 and later),
 *
 *   actors_frame_links frames;
 *
 * It defines the save/restore/start parts for these fields (the version
 * header calls them from its own), and in full keep_context,
 * chunk_is_root, traverse, clear, the context accessors,
 * gc_clear_finalized, and tracing where the version has no flag.
 */
#ifndef ACTORS_PYSTATE_COMMON_H
#define ACTORS_PYSTATE_COMMON_H

/* The trashcan, one rule for every version.  A dealloc guarded by
 * Py_TRASHCAN_BEGIN/END may run Python code (a finalizer, the TaskletExit
 * thrown into a collected tasklet), and that code may switch: a tasklet can
 * be suspended in the middle of a chain of deallocations, and another one
 * run meanwhile.  The trashcan keeps two things:
 *
 *  - how deep the running C stack is in nested deallocs: 3.11's
 *    trash_delete_nesting, 3.12's trash.delete_nesting (3.13 counts it in
 *    c_recursion_remaining, 3.14+ compares the stack pointer with the
 *    thread's limits).  Each BEGIN is undone by an END on the same C
 *    stack, so this is per tasklet, saved and restored with its stack, and
 *    a new tasklet inherits its starter's (it runs below it on the same C
 *    stack), as it inherits the recursion depth.  Kept per thread, a
 *    tasklet suspended inside a dealloc would leave its count to whatever
 *    runs next: the count drifts, a count that never returns to 0 defers
 *    every later dealloc and never frees them.
 *
 *  - the objects whose dealloc was deferred when the nesting was too deep
 *    (3.11 trash_delete_later, 3.12 trash.delete_later, 3.13+
 *    delete_later): per thread.  They are dead already (refcount 0), any
 *    context of the thread may finish them, and CPython does so at the next
 *    END that finds room; kept per tasklet, a tasklet that never resumes
 *    would leak them, and one that resumes late would delay them.
 */
#ifdef ACTORS_TRASH_NESTING
#define ACTORS_TRASH_SAVE(s, ts) ((s)->trash_nesting = ACTORS_TRASH_NESTING(ts))
#define ACTORS_TRASH_RESTORE(s, ts) (ACTORS_TRASH_NESTING(ts) = (s)->trash_nesting)
#else
#define ACTORS_TRASH_SAVE(s, ts) ((void)0)
#define ACTORS_TRASH_RESTORE(s, ts) ((void)0)
#endif

/* Save: frame memory, exception stack and context move into s. */
static inline void
actors_common_save(actors_pystate *s, PyThreadState *ts)
{
    s->datastack_chunk = ts->datastack_chunk;
    s->datastack_top = ts->datastack_top;
    s->exc_info = ts->exc_info == &ts->exc_state ? NULL : ts->exc_info;
    s->exc_value = ts->exc_state.exc_value;
    s->context = ts->context;            /* the reference moves into s */
    ts->context = NULL;
    ACTORS_TRASH_SAVE(s, ts);
}

/* Restore: the same back into the thread state. */
static inline void
actors_common_restore(actors_pystate *s, PyThreadState *ts)
{
    ts->datastack_chunk = s->datastack_chunk;
    ts->datastack_top = s->datastack_top;
    ts->datastack_limit = s->datastack_chunk == NULL ? NULL :
        (PyObject **)((char *)s->datastack_chunk + s->datastack_chunk->size);
    ts->exc_state.exc_value = s->exc_value;
    ts->exc_state.previous_item = NULL;
    ts->exc_info = s->exc_info ? s->exc_info : &ts->exc_state;
    Py_XSETREF(ts->context, s->context);
    ts->context_ver++;
    s->context = NULL;
    s->exc_value = NULL;
    ACTORS_TRASH_RESTORE(s, ts);
}

/* Start: an empty frame stack in `chunk`, whose first slot is skipped (why
 * CPython then never frees it is said in each version header), no
 * exception being handled, the context given before the start if any.
 * The trashcan's nesting stays the starter's (see the top). */
static inline void
actors_common_start(actors_pystate *s, PyThreadState *ts,
                    _PyStackChunk *chunk, size_t chunk_size)
{
    chunk->previous = NULL;
    chunk->size = chunk_size;
    chunk->top = 0;
    ts->datastack_chunk = chunk;
    ts->datastack_top = &chunk->data[1];
    ts->datastack_limit = (PyObject **)((char *)chunk + chunk_size);
    ts->exc_state.exc_value = NULL;
    ts->exc_state.previous_item = NULL;
    ts->exc_info = &ts->exc_state;
    Py_XSETREF(ts->context, s->context);  /* a context set before the start */
    s->context = NULL;
    ts->context_ver++;
}

/* A finished tasklet keeps the context it ran in (greenlet does too). */
static inline void
actors_pystate_keep_context(actors_pystate *s, PyThreadState *ts)
{
    Py_XSETREF(s->context, ts->context);
    ts->context = NULL;
    ts->context_ver++;
}

#ifndef ACTORS_PYSTATE_HAS_TRACING
/* From 3.12 on tracing is sys.monitoring's instrumentation of code
 * objects, per interpreter: no use_tracing flag in the C frames or the
 * thread state, nothing to carry across a switch. */
static inline int
actors_pystate_tracing(PyThreadState *ts)
{
    (void)ts;
    return 0;
}
#endif

#ifndef ACTORS_CHAIN_IS_EMPTY
#define ACTORS_CHAIN_IS_EMPTY(ts) 1
#endif

/* The frame stack of a finished tasklet is back to its root chunk. */
static inline int
actors_pystate_chunk_is_root(PyThreadState *ts, _PyStackChunk *chunk)
{
    return ts->datastack_chunk == chunk && ts->datastack_top == &chunk->data[1]
        && ACTORS_CHAIN_IS_EMPTY(ts);
}

#ifdef ACTORS_TS_CURRENT_FRAME
/* The frame object of the first complete frame from f, or a new None:
 * made by showing f as the thread's top frame for a moment. */
static inline PyObject *
actors_frame_object_from(PyThreadState *ts, struct _PyInterpreterFrame *f)
{
    struct _PyInterpreterFrame *saved = ACTORS_TS_CURRENT_FRAME(ts);
    PyFrameObject *fo;
    if (f == NULL)
        Py_RETURN_NONE;
    /* GIL held: no other thread reads the thread's top frame meanwhile. */
    ACTORS_TS_CURRENT_FRAME(ts) = f;
    fo = PyThreadState_GetFrame(ts);     /* skips incomplete frames */
    ACTORS_TS_CURRENT_FRAME(ts) = saved;
    if (fo == NULL)
        Py_RETURN_NONE;
    return (PyObject *)fo;
}
#endif

/* GC support for the references in s. */
static inline int
actors_pystate_traverse(actors_pystate *s, visitproc visit, void *arg)
{
    Py_VISIT(s->context);
    Py_VISIT(s->exc_value);
    return 0;
}

static inline void
actors_pystate_clear(actors_pystate *s)
{
    Py_CLEAR(s->context);
    Py_CLEAR(s->exc_value);
#ifdef ACTORS_PYSTATE_FRAMES_H
    actors_frames_clear(&s->frames);     /* 3.12+: see pystate_frames.h */
#endif
}

static inline PyObject **actors_pystate_context(actors_pystate *s) { return &s->context; }
static inline PyObject **actors_thread_context(PyThreadState *ts) { return &ts->context; }
static inline void actors_thread_context_changed(PyThreadState *ts) { ts->context_ver++; }

/* Let a finalized object that was resurrected be finalized again when it
 * is dropped once more (CPython runs tp_finalize once per object).  The
 * mark is bit 0 of the GC header's _gc_prev (_PyGC_PREV_MASK_FINALIZED in
 * Include/internal/pycore_gc.h): 3.11 and 3.12 have no function to clear
 * it; 3.13 and later have _PyGC_CLEAR_FINALIZED (which on free-threaded
 * builds clears a bit of ob_gc_bits instead). */
#if PY_VERSION_HEX >= 0x030D0000
static inline void
actors_gc_clear_finalized(PyObject *op)
{
    _PyGC_CLEAR_FINALIZED(op);
}
#else
typedef struct { uintptr_t next, prev; } actors_gc_head;
static inline void
actors_gc_clear_finalized(PyObject *op)
{
    ((actors_gc_head *)op - 1)->prev &= ~(uintptr_t)1;
}
#endif

#ifndef ACTORS_PYSTATE_HAS_ABANDON
/* Every supported version defines it (3.11-3.13: pystate_reclaim.h, 3.14+:
 * pystate_py314.h); a version that does not keeps a suspended tasklet of
 * an ended thread forever. */
#define actors_pystate_abandon(s, bottom) 0
#endif

/* Where the chains of the tasklets of ts's thread (which calls this) end:
 * on 3.15 a frame of the thread state object's that links to the thread's
 * base frame (pystate_py314.h), NULL before.  Cut off the base frame when
 * the thread ends (orphan), freed with the thread state object (free). */
#if PY_VERSION_HEX >= 0x030F0000
#define actors_pystate_chain_end(ts) actors_chain_end_new(ts)
static inline void
actors_pystate_chain_end_orphan(void *end)
{
    if (end != NULL)
        ((struct _PyInterpreterFrame *)end)->previous = NULL;
}
#define actors_pystate_chain_end_free(end) PyMem_RawFree(end)
#else
#define actors_pystate_chain_end(ts) ((void)(ts), (void *)NULL)
#define actors_pystate_chain_end_orphan(end) ((void)(end))
#define actors_pystate_chain_end_free(end) ((void)(end))
#endif

/* Free the frame-stack chunks CPython added past a tasklet's root chunk
 * (the tasklet frees its root itself): the end of reclaiming a tasklet left
 * by an ended thread, once no frame lives in them. */
static inline void
actors_pystate_free_overflow_chunks(actors_pystate *s)
{
    PyObjectArenaAllocator arena;
    _PyStackChunk *c;
    PyObject_GetArenaAllocator(&arena);
    for (c = s->datastack_chunk; c != NULL && c->previous != NULL; ) {
        _PyStackChunk *prev = c->previous;
        arena.free(arena.ctx, c, c->size);
        c = prev;
    }
    s->datastack_chunk = c;
}

#endif
