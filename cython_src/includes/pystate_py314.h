/* CPython 3.14's thread state, as a tasklet sees it (3.15 includes this
 * too, with the additions in pystate_py315.h).  Included only by
 * pystate_compat.h, which says what each function must do.  Written from
 * 3.14.10's Include/cpython/pystate.h, internal/pycore_tstate.h,
 * internal/pycore_interpframe_structs.h and internal/pycore_gc.h.
 *
 * What is per tasklet, what stays per thread:
 *
 *   current_frame        per tasklet: its chain of _PyInterpreterFrames (no
 *                        _PyCFrame since 3.13, so actors_anchor is unused)
 *   py_recursion_remaining  per tasklet, saved as a depth below the limit;
 *                        a new tasklet inherits its starter's (it runs below
 *                        the starter on the same C stack)
 *   current_executor     per tasklet: the JIT executor the suspended code was
 *                        running in (or NULL)
 *   datastack_chunk/top/limit  per tasklet: its frames' memory
 *   exc_info, exc_state  per tasklet, as on 3.11
 *   context, context_ver per tasklet, as on 3.11
 *
 *   c_stack_top/soft_limit/hard_limit (_PyThreadStateImpl)  per thread:
 *                        3.14 checks C recursion by comparing the stack
 *                        pointer with these, and a tasklet runs on its
 *                        thread's own C stack (its slice is copied back to
 *                        the addresses it was saved from), so the thread's
 *                        limits are exactly the ones that apply to it.  A
 *                        chain of nested starts goes deeper into that stack
 *                        and ends in RecursionError, as any deep C recursion.
 *   datastack_cached_chunk  per thread: a spare CPython chunk (never one of
 *                        our root chunks, which are never popped) that any
 *                        frame stack of the thread may take.
 *   delete_later         per thread: 3.14's trashcan no longer counts nesting;
 *                        it defers deallocations while the C stack is near
 *                        its limit and frees the deferred list once there is
 *                        room again.  The list holds only dead objects, so
 *                        whichever tasklet of the thread has room frees it;
 *                        kept per tasklet, a tasklet that never resumes would
 *                        leak it.
 *   current_exception    per thread: nothing is being raised across a switch.
 *   use_tracing          gone (sys.monitoring is per interpreter):
 *                        actors_pystate_tracing returns 0.
 *
 * Free-threaded builds (3.14t) keep more per-thread state a tasklet would
 * have to swap (c_stack_refs, critical sections) and are not supported:
 * pystate_compat.h does not pick this header for them.
 *
 * Frames on the C stack.  Since 3.12 every entry into the interpreter from
 * C pushes an entry frame (owner FRAME_OWNED_BY_INTERPRETER, on 3.14 also
 * FRAME_OWNED_BY_CSTACK) that lives in that C call's stack frame, and the
 * frames above it link to it through `previous`.  While a tasklet is
 * suspended, the stack bytes those entry frames occupy belong to whichever
 * tasklet runs (the suspended one's copy is on the heap), so walking f_back
 * from its frames (gr_frame, a frame object kept in a traceback, a
 * generator's gi_frame) would read another tasklet's stack.  So when a
 * context is saved -- before the switch, while its stack is still in place
 * -- every frame that is not an interpreter-owned one is linked straight to
 * the next such frame below it, skipping the C-stack frames (they are
 * incomplete frames that introspection skips anyway); the original links
 * are recorded in the tasklet (`relinks`) and put back when the context is
 * restored, after the switch has copied its stack back in.  Only links
 * that skip something are recorded: usually one per C->Python re-entry in
 * the tasklet (one for a plain tasklet: its first frame's entry frame).
 * No Python object is created for this, so a switch never allocates or
 * triggers the GC here (greenlet instead keeps the old links in frame
 * objects it creates).
 */
#ifndef ACTORS_PYSTATE_PY314_H
#define ACTORS_PYSTATE_PY314_H
#define ACTORS_PYSTATE_SUPPORTED 1

/* The internal headers this needs refuse to compile without Py_BUILD_CORE;
 * it is set only around them. */
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE
#define ACTORS_UNDEF_BUILD_CORE
#endif
#include "internal/pycore_frame.h"              /* struct _frame */
#include "internal/pycore_interpframe_structs.h" /* _PyInterpreterFrame */
#include "internal/pycore_gc.h"                 /* _PyGC_CLEAR_FINALIZED */
#ifdef ACTORS_UNDEF_BUILD_CORE
#undef Py_BUILD_CORE
#undef ACTORS_UNDEF_BUILD_CORE
#endif

#ifndef ACTORS_PY315
#define ACTORS_PY315 0
#endif

typedef struct { int unused; } actors_anchor;  /* no _PyCFrame since 3.13 */
typedef _PyStackChunk actors_chunk;

typedef struct {
    struct _PyInterpreterFrame *frame;     /* its `previous` was rewritten */
    struct _PyInterpreterFrame *previous;  /* the original value */
} actors_relink;

#define ACTORS_RELINK_INLINE 2

typedef struct {
    struct _PyInterpreterFrame *current_frame;
    struct _PyInterpreterFrame *top;     /* first frame off the C stack:
                                            where gr_frame starts */
    int recursion_depth;                 /* limit - remaining, so a changed
                                            limit applies to every tasklet */
    int nrelinks;                        /* links rewritten while suspended */
    int relinks_cap;                     /* entries in `more` */
    PyObject *current_executor;          /* borrowed, as in the thread state */
    _PyStackChunk *datastack_chunk;      /* the limit is derived from it */
    PyObject **datastack_top;
    _PyErr_StackItem *exc_info;          /* NULL: the base item below */
    PyObject *exc_value;                 /* of the tasklet's base item, whose
                                            previous_item is always NULL */
    PyObject *context;                   /* strong reference or NULL */
    actors_relink relinks[ACTORS_RELINK_INLINE];
    actors_relink *more;                 /* PyMem_Raw; entries past inline */
} actors_pystate;

/* A frame introspection may follow while its tasklet is suspended: not one
 * of the interpreter's own, which live on the C stack of the call that
 * entered the interpreter (or are shims that introspection skips anyway).
 * On 3.15 the thread's base frame, the sentinel at the bottom of every
 * chain (it lives in the thread state), is kept too. */
static inline int
actors_frame_kept(PyThreadState *ts, struct _PyInterpreterFrame *f)
{
#if ACTORS_PY315
    if (f == ts->base_frame)
        return 1;
#else
    (void)ts;
#endif
    return f->owner < FRAME_OWNED_BY_INTERPRETER;
}

/* Record that f->previous is about to be rewritten; 0 if out of memory
 * (the link is then left as it is: only introspection could be misled). */
static inline int
actors_relink_push(actors_pystate *s, struct _PyInterpreterFrame *f)
{
    actors_relink *r;
    int i = s->nrelinks;
    if (i < ACTORS_RELINK_INLINE) {
        r = &s->relinks[i];
    } else {
        int j = i - ACTORS_RELINK_INLINE;
        if (j >= s->relinks_cap) {
            int cap = s->relinks_cap ? 2 * s->relinks_cap : 8;
            actors_relink *more = (actors_relink *)PyMem_RawRealloc(
                s->more, (size_t)cap * sizeof(actors_relink));
            if (more == NULL)
                return 0;
            s->more = more;
            s->relinks_cap = cap;
        }
        r = &s->more[j];
    }
    r->frame = f;
    r->previous = f->previous;
    s->nrelinks = i + 1;
    return 1;
}

/* Link the kept frames of the context being saved past the C-stack ones;
 * its stack is still in place.  Sets s->top. */
static inline void
actors_frames_hide_cstack(actors_pystate *s, PyThreadState *ts)
{
    struct _PyInterpreterFrame *f = ts->current_frame, *last = NULL;
    s->top = NULL;
    s->nrelinks = 0;
    while (f != NULL) {
        struct _PyInterpreterFrame *next = f->previous;
        if (actors_frame_kept(ts, f)) {
            if (last == NULL) {
                s->top = f;
            } else if (last->previous != f) {
                if (!actors_relink_push(s, last))
                    return;
                last->previous = f;
            }
            last = f;
        }
        f = next;
    }
    if (last != NULL && last->previous != NULL && actors_relink_push(s, last))
        last->previous = NULL;
}

/* Put the links back once the context's stack is in place again. */
static inline void
actors_frames_restore_links(actors_pystate *s)
{
    int i;
    for (i = s->nrelinks - 1; i >= 0; i--) {
        actors_relink *r = i < ACTORS_RELINK_INLINE ? &s->relinks[i]
                           : &s->more[i - ACTORS_RELINK_INLINE];
        r->frame->previous = r->previous;
    }
    s->nrelinks = 0;
}

/* The running context is leaving the CPU: move the thread state into s. */
static inline void
actors_pystate_save(actors_pystate *s, PyThreadState *ts)
{
    s->current_frame = ts->current_frame;
    actors_frames_hide_cstack(s, ts);
    s->recursion_depth = ts->py_recursion_limit - ts->py_recursion_remaining;
    s->current_executor = ts->current_executor;
    s->datastack_chunk = ts->datastack_chunk;
    s->datastack_top = ts->datastack_top;
    s->exc_info = ts->exc_info == &ts->exc_state ? NULL : ts->exc_info;
    s->exc_value = ts->exc_state.exc_value;
    s->context = ts->context;            /* the reference moves into s */
    ts->context = NULL;
}

/* Tracing is sys.monitoring's, per interpreter: nothing to carry over. */
static inline int
actors_pystate_tracing(PyThreadState *ts)
{
    (void)ts;
    return 0;
}

#if ACTORS_PY315
static inline void actors_profiler_cache_reset(PyThreadState *ts);
#else
#define actors_profiler_cache_reset(ts) ((void)0)
#endif

/* Move s into the thread state. */
static inline void
actors_pystate_restore(actors_pystate *s, PyThreadState *ts, int use_tracing)
{
    (void)use_tracing;
    actors_frames_restore_links(s);
    ts->current_frame = s->current_frame;
    ts->py_recursion_remaining = ts->py_recursion_limit - s->recursion_depth;
    ts->current_executor = s->current_executor;
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
    actors_profiler_cache_reset(ts);
}

/* The frame a new tasklet's first entry frame links to. */
static inline struct _PyInterpreterFrame *
actors_chain_bottom(PyThreadState *ts)
{
#if ACTORS_PY315
    return ts->base_frame;
#else
    (void)ts;
    return NULL;
#endif
}

/* Thread state for a tasklet about to run its first Python frame: an empty
 * frame chain and frame stack in `chunk` (CPython never frees a root chunk
 * whose first slot is skipped: _PyThreadState_PopFrame leaves a chunk
 * whose previous is NULL), the starter's recursion depth and JIT executor,
 * no exception being handled, the context given before the start if any. */
static inline void
actors_pystate_start(actors_pystate *s, PyThreadState *ts, int use_tracing,
                     actors_anchor *anchor, _PyStackChunk *chunk,
                     size_t chunk_size)
{
    (void)use_tracing;
    (void)anchor;
    ts->current_frame = actors_chain_bottom(ts);
    /* py_recursion_remaining, current_executor: still the starter's */
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
    actors_profiler_cache_reset(ts);
}

/* A finished tasklet keeps the context it ran in (greenlet does too). */
static inline void
actors_pystate_keep_context(actors_pystate *s, PyThreadState *ts)
{
    Py_XSETREF(s->context, ts->context);
    ts->context = NULL;
    ts->context_ver++;
}

/* The frame stack of a finished tasklet is back to its root chunk. */
static inline int
actors_pystate_chunk_is_root(PyThreadState *ts, _PyStackChunk *chunk)
{
    return ts->datastack_chunk == chunk && ts->datastack_top == &chunk->data[1]
        && ts->current_frame == actors_chain_bottom(ts);
}

/* Top frame object of a suspended tasklet, or a new None.  The frame object
 * is made through PyFrame_GetBack of a stand-in frame whose `previous` is
 * the tasklet's top frame: the public way to reach CPython's (unexported)
 * _PyFrame_GetFrameObject, and one that leaves the thread's current_frame
 * alone, so whatever the allocation runs (a GC, finalizers) runs in the
 * running context's own frame chain. */
static inline PyObject *
actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
{
    PyFrameObject standin;
    struct _PyInterpreterFrame standin_frame;
    PyObject *f;
    (void)ts;
    if (s->top == NULL)
        Py_RETURN_NONE;
    memset(&standin, 0, sizeof standin);
    memset(&standin_frame, 0, sizeof standin_frame);
    standin.f_frame = &standin_frame;
    standin.f_back = NULL;
    standin_frame.owner = FRAME_OWNED_BY_GENERATOR;  /* counts as complete */
    standin_frame.previous = s->top;
    f = (PyObject *)PyFrame_GetBack(&standin);   /* skips incomplete frames */
    if (f == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    return f;
}

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
    if (s->more != NULL) {
        PyMem_RawFree(s->more);
        s->more = NULL;
        s->relinks_cap = 0;
    }
}

/* Let a finalized object that was resurrected be finalized again when it
 * is dropped once more (CPython runs tp_finalize once per object): bit 0 of
 * the GC header's _gc_prev (the ob_gc_bits byte on free-threaded builds). */
static inline void
actors_gc_clear_finalized(PyObject *op)
{
    _PyGC_CLEAR_FINALIZED(op);
}

static inline PyObject **actors_pystate_context(actors_pystate *s) { return &s->context; }
static inline PyObject **actors_thread_context(PyThreadState *ts) { return &ts->context; }
static inline void actors_thread_context_changed(PyThreadState *ts) { ts->context_ver++; }

#endif
