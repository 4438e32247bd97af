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
 * Frames on the C stack.  Every entry into the interpreter from C pushes
 * an entry frame that lives in that C call's stack frame: owner
 * FRAME_OWNED_BY_INTERPRETER, on 3.14 also FRAME_OWNED_BY_CSTACK (the last
 * two values of 3.14's enum: everything from FRAME_OWNED_BY_INTERPRETER on
 * is the interpreter's own).
 * pystate_frames.h links a suspended tasklet's chain past them.
 */
#ifndef ACTORS_PYSTATE_PY314_H
#define ACTORS_PYSTATE_PY314_H
#define ACTORS_PYSTATE_SUPPORTED 1
/* A plain function may start without _PyEval_Vector's frame (3.14 and 3.15,
 * which includes this header): call_start.h reads this choice. */
#define ACTORS_PYSTATE_DIRECT_START 1

/* The internal headers this needs refuse to compile without Py_BUILD_CORE;
 * it is set only around them. */
#include "pycore_begin.h"
#include "internal/pycore_frame.h"              /* struct _frame */
#include "internal/pycore_interpframe_structs.h" /* _PyInterpreterFrame */
#include "internal/pycore_gc.h"                 /* _PyGC_CLEAR_FINALIZED */
#include "internal/pycore_stackref.h"           /* PyStackRef_CLEAR */
#include "pycore_end.h"

#ifndef ACTORS_PY315
#define ACTORS_PY315 0
#endif

typedef struct { int unused; } actors_anchor;  /* no _PyCFrame since 3.13 */

#if ACTORS_PY315
/* The thread's chain end for its tasklets (pystate_py315.h): a copy of its
 * base frame that links to it, made per thread and owned by the thread's
 * state object, which every tasklet of the thread holds.  At the thread's
 * end it is cut off the base frame (freed with the thread state), so a
 * suspended tasklet's chain, and any frame object walked down it, ends in
 * memory that is still there. */
static __thread struct _PyInterpreterFrame *actors_thread_chain_end = NULL;

static inline void *
actors_chain_end_new(PyThreadState *ts)
{
    struct _PyInterpreterFrame *f = PyMem_RawMalloc(sizeof *f);
    if (f == NULL)
        return NULL;                     /* out of memory: the base frame */
    memcpy(f, ts->base_frame, sizeof *f);
    f->previous = ts->base_frame;
    actors_thread_chain_end = f;
    return f;
}

static inline int
actors_is_chain_end(PyThreadState *ts, struct _PyInterpreterFrame *f)
{
    return f == ts->base_frame ||
        (f == actors_thread_chain_end && f != NULL);
}
#endif
typedef _PyStackChunk actors_chunk;

/* A frame introspection may follow while its tasklet is suspended: not one
 * of the interpreter's own, which live on the C stack of the call that
 * entered the interpreter (or are shims that introspection skips anyway).
 * On 3.15 the thread's base frame, the sentinel at the bottom of every
 * chain (it lives in the thread state), is kept too. */
static inline int
actors_frame_kept(PyThreadState *ts, struct _PyInterpreterFrame *f)
{
#if ACTORS_PY315
    if (actors_is_chain_end(ts, f))
        return 1;
#else
    (void)ts;
#endif
    return f->owner < FRAME_OWNED_BY_INTERPRETER;
}

#define ACTORS_FRAME_ON_CSTACK(ts, f) (!actors_frame_kept(ts, f))
#include "pystate_frames.h"

typedef struct {
    struct _PyInterpreterFrame *current_frame;
    actors_frame_links frames;           /* see pystate_frames.h */
    int recursion_depth;                 /* limit - remaining, so a changed
                                            limit applies to every tasklet */
    PyObject *current_executor;          /* borrowed, as in the thread state */
    ACTORS_PYSTATE_COMMON_FIELDS         /* see pystate_compat.h */
} actors_pystate;

/* The frame a new tasklet's first entry frame links to. */
static inline struct _PyInterpreterFrame *
actors_chain_bottom(PyThreadState *ts)
{
#if ACTORS_PY315
    return actors_thread_chain_end ? actors_thread_chain_end : ts->base_frame;
#else
    (void)ts;
    return NULL;
#endif
}

#if ACTORS_PY315
#define ACTORS_CHAIN_IS_EMPTY(ts) actors_is_chain_end((ts), (ts)->current_frame)
#else
#define ACTORS_CHAIN_IS_EMPTY(ts) ((ts)->current_frame == NULL)
#endif
#define ACTORS_PYSTATE_HAS_ABANDON 1
#include "pystate_common.h"

/* The running context is leaving the CPU: move the thread state into s. */
static inline void
actors_pystate_save(actors_pystate *s, PyThreadState *ts)
{
    s->current_frame = ts->current_frame;
    actors_frames_hide(&s->frames, ts, ts->current_frame);
    s->recursion_depth = ts->py_recursion_limit - ts->py_recursion_remaining;
    s->current_executor = ts->current_executor;
    actors_common_save(s, ts);
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
    actors_frames_unhide(&s->frames);
    ts->current_frame = s->current_frame;
    ts->py_recursion_remaining = ts->py_recursion_limit - s->recursion_depth;
    ts->current_executor = s->current_executor;
    actors_common_restore(s, ts);
    actors_profiler_cache_reset(ts);
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
    actors_common_start(s, ts, chunk, chunk_size);
    actors_profiler_cache_reset(ts);
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
    if (s->frames.top == NULL)
        Py_RETURN_NONE;
    memset(&standin, 0, sizeof standin);
    memset(&standin_frame, 0, sizeof standin_frame);
    standin.f_frame = &standin_frame;
    standin.f_back = NULL;
    standin_frame.owner = FRAME_OWNED_BY_GENERATOR;  /* counts as complete */
    standin_frame.previous = s->frames.top;
    f = (PyObject *)PyFrame_GetBack(&standin);   /* skips incomplete frames */
    if (f == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    return f;
}

/* End a tasklet's chain at its own last frame, cut off `bottom` (3.15: its
 * thread's chain end), so that abandon's walks over its frames never reach
 * the thread's frames. */
static inline int
actors_pystate_keep_detached(actors_pystate *s, void *bottom)
{
    struct _PyInterpreterFrame *f;
    for (f = s->frames.top; bottom != NULL && f != NULL; f = f->previous) {
        if ((void *)f->previous == bottom) {
            f->previous = NULL;
            break;
        }
    }
    return 0;
}

/* Frame object fo = f->frame_obj, which others hold, takes over f: it owns
 * a copy of f and f's references from now on (CPython's take_ownership
 * does this when it pops a frame whose frame object lives on, written here
 * from its description: the copy's references made heap-safe, owner
 * FRAME_OWNED_BY_FRAME_OBJECT, f_back linked first, while fo still reads f
 * and its `previous`, which makes the next frame's object; the chain is
 * therefore taken over top down).  f is left owning nothing. */
static inline void
actors_frame_take_over(struct _PyInterpreterFrame *f)
{
    PyFrameObject *fo = f->frame_obj;
    struct _PyInterpreterFrame *copy =
        (struct _PyInterpreterFrame *)fo->_f_frame_data;
    int i, n = (int)(f->stackpointer - f->localsplus);
    if (fo->f_back == NULL) {
        PyObject *exc = PyErr_GetRaisedException();
        fo->f_back = PyFrame_GetBack(fo);
        if (fo->f_back == NULL)
            PyErr_Clear();               /* out of memory: no f_back */
        PyErr_SetRaisedException(exc);
    }
    f->frame_obj = NULL;                 /* its reference is dropped below */
    memcpy(copy, f, offsetof(struct _PyInterpreterFrame, localsplus));
    copy->f_executable = PyStackRef_MakeHeapSafe(f->f_executable);
    copy->f_funcobj = PyStackRef_MakeHeapSafe(f->f_funcobj);
    for (i = 0; i < n; i++)
        copy->localsplus[i] = PyStackRef_MakeHeapSafe(f->localsplus[i]);
    copy->stackpointer = copy->localsplus + n;
    copy->previous = NULL;
    copy->frame_obj = NULL;              /* as CPython's copies */
    copy->visited = 0;
    copy->owner = FRAME_OWNED_BY_FRAME_OBJECT;
    fo->f_frame = copy;
    f->owner = FRAME_OWNED_BY_FRAME_OBJECT;
    if (!PyObject_GC_IsTracked((PyObject *)fo))
        PyObject_GC_Track((PyObject *)fo);
    Py_DECREF(fo);
}

/* A suspended tasklet whose thread has ended can never run again.  Release
 * the references its frames hold, as CPython does when it pops a frame, so
 * that the tasklet can be freed with its frame stack (greenlet frees it
 * too).  `bottom` is the ended thread's base frame on 3.15 (only its
 * address is compared: the thread state is gone), NULL on 3.14 (where the
 * hidden chain ends, see pystate_frames.h).  Every frame of the chain is in
 * an escaping call (ultimately the switch()), where 3.14+ saves the
 * frame's stackpointer, and has run its first instruction.  Returns 0,
 * changing nothing but the chain's end, where this is not safe: a
 * generator's frame in the chain (the generator is executing and its frame
 * links into ours); the tasklet is then kept. */
static inline int
actors_pystate_abandon(actors_pystate *s, void *bottom)
{
    struct _PyInterpreterFrame *top = s->frames.top, *f, *next;
    for (f = top; f != NULL && (void *)f != bottom; f = f->previous)
        if (f->owner != FRAME_OWNED_BY_THREAD || f->stackpointer == NULL)
            return actors_pystate_keep_detached(s, bottom);
    actors_pystate_keep_detached(s, bottom);     /* the chain ends in NULL */
    s->frames.top = NULL;                /* gr_frame: None from now on */
    s->current_frame = NULL;
    for (f = top; f != NULL; f = f->previous)
        if (f->frame_obj != NULL && Py_REFCNT(f->frame_obj) > 1)
            actors_frame_take_over(f);
    /* Release the rest, as _PyFrame_Clear does.  This runs finalizers,
     * which cannot reach these frames any more. */
    for (f = top; f != NULL; f = next) {
        _PyStackRef *sp = f->stackpointer;
        next = f->previous;
        if (f->owner == FRAME_OWNED_BY_FRAME_OBJECT)
            continue;
        f->stackpointer = f->localsplus;
        while (sp > f->localsplus) {
            sp--;
            PyStackRef_CLEAR(*sp);
        }
        Py_CLEAR(f->f_locals);
        Py_CLEAR(f->frame_obj);
        PyStackRef_CLEAR(f->f_funcobj);
        PyStackRef_CLEAR(f->f_executable);
    }
    actors_pystate_free_overflow_chunks(s);
    return 1;
}

#endif
