/* CPython 3.13's thread state, as a tasklet sees it.  Included only by
 * pystate_compat.h, which says what each function must do.  Written from
 * 3.13.0's Include/cpython/pystate.h, Include/internal/pycore_frame.h,
 * pycore_tstate.h and pycore_gc.h.
 *
 * What changed since 3.11:
 *  - no _PyCFrame: the thread state points at the top interpreter frame
 *    itself (ts->current_frame), and tracing is sys.monitoring's business
 *    (no use_tracing flag to carry across a switch);
 *  - the Python and the C recursion budgets are separate counters;
 *  - the trashcan's nesting is the C recursion budget, and its list of
 *    objects awaiting deallocation is ts->delete_later;
 *  - every _PyEval_EvalFrameDefault call links an entry frame that lives on
 *    the C stack (FRAME_OWNED_BY_CSTACK) into the frame chain: see
 *    actors_hide_cstack_frames below.
 */
#ifndef ACTORS_PYSTATE_PY313_H
#define ACTORS_PYSTATE_PY313_H
#define ACTORS_PYSTATE_SUPPORTED 1

#ifdef Py_GIL_DISABLED
/* Thread states are swapped with no lock held but the GIL, critical
 * sections would be switched away from while held, and the frames'
 * deferred references are not traversed: free-threading is not supported. */
#error "actors' native core needs a CPython built with the GIL; build with ACTORS_BUILD_NATIVE=0 for the greenlet backend"
#endif

/* The internal headers, for _PyInterpreterFrame and the GC header bits;
 * Py_BUILD_CORE is defined only around them. */
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE
#define ACTORS_DEFINED_PY_BUILD_CORE
#endif
#include "internal/pycore_frame.h"
#include "internal/pycore_gc.h"
#ifdef ACTORS_DEFINED_PY_BUILD_CORE
#undef Py_BUILD_CORE
#undef ACTORS_DEFINED_PY_BUILD_CORE
#endif

/* 3.13 keeps nothing of a tasklet's on its own C stack (3.11 kept its
 * _PyCFrame there): the anchor is a placeholder. */
typedef struct { char unused; } actors_anchor;
typedef _PyStackChunk actors_chunk;

/* A frame of a suspended tasklet whose `previous` was made to skip the
 * entry frames on the C stack, and what it pointed to before. */
typedef struct {
    struct _PyInterpreterFrame *frame;
    struct _PyInterpreterFrame *previous;
} actors_relink;

typedef struct {
    struct _PyInterpreterFrame *current_frame;   /* exactly as it was */
    struct _PyInterpreterFrame *top;     /* first frame not on the C stack:
                                            what gr_frame starts from */
    actors_relink link0;                 /* the first relinked frame: most
                                            tasklets have exactly one */
    actors_relink *links;                /* the others (PyMem_Raw), or NULL */
    unsigned int nlinks;                 /* relinked frames, link0 included */
    unsigned int links_capacity;         /* of `links` */
    int py_recursion_depth;              /* limit - remaining, so a changed */
    int c_recursion_depth;               /* limit applies to every tasklet */
    uintptr_t critical_section;          /* see actors_pystate_save */
    _PyStackChunk *datastack_chunk;      /* the limit is derived from it */
    PyObject **datastack_top;
    _PyErr_StackItem *exc_info;          /* NULL: the base item below */
    PyObject *exc_value;                 /* of the tasklet's base item, whose
                                            previous_item is always NULL */
    PyObject *context;                   /* strong reference or NULL */
} actors_pystate;

/* Entry frames.  Since 3.12 each call of _PyEval_EvalFrameDefault puts an
 * entry frame (owner FRAME_OWNED_BY_CSTACK) in a local of its own and links
 * it into the chain: the first frame it runs has it as `previous`.  Once a
 * tasklet is suspended those bytes belong to its stack slice, which another
 * tasklet may have overwritten (the copy is on the heap), so nothing may
 * read them until it resumes: not gr_frame, and not f_back of a frame
 * object someone kept (PyFrame_GetBack reads `previous` to skip incomplete
 * frames).  So the context that leaves the CPU makes every frame of its
 * chain skip the entry frames below it, remembering what it changed, and
 * the interpreter gets the exact chain back before the tasklet runs again
 * (it needs the entry frames to return to C).  Every other frame lives on
 * the heap (a frame-stack chunk or a generator), so the shortened chain is
 * safe to walk from anywhere.  greenlet 3 does the same with the frame
 * objects' spare storage; here the changed links are kept in the state
 * itself, so no frame object is made on a switch.
 *
 * The walk costs one step per frame of the departing context on every
 * switch; it reads only that context's own frames, which are live. */
static inline void
actors_relink_push(actors_pystate *s, struct _PyInterpreterFrame *frame,
                   struct _PyInterpreterFrame *previous)
{
    actors_relink *l;
    if (s->nlinks == 0) {
        l = &s->link0;
    }
    else {
        if (s->nlinks > s->links_capacity) {
            unsigned int cap = s->links_capacity ? 2 * s->links_capacity : 4;
            actors_relink *p = (actors_relink *)PyMem_RawRealloc(
                s->links, cap * sizeof(actors_relink));
            if (p == NULL)
                Py_FatalError("actors: out of memory saving a frame chain");
            s->links = p;
            s->links_capacity = cap;
        }
        l = &s->links[s->nlinks - 1];
    }
    l->frame = frame;
    l->previous = previous;
    s->nlinks++;
}

/* GIL held: nothing else walks or changes this chain meanwhile. */
static inline void
actors_hide_cstack_frames(actors_pystate *s, struct _PyInterpreterFrame *f)
{
    s->nlinks = 0;
    while (f != NULL && f->owner == FRAME_OWNED_BY_CSTACK)
        f = f->previous;
    s->top = f;
    while (f != NULL) {
        struct _PyInterpreterFrame *prev = f->previous, *next = prev;
        while (next != NULL && next->owner == FRAME_OWNED_BY_CSTACK)
            next = next->previous;
        if (next != prev) {
            actors_relink_push(s, f, prev);
            f->previous = next;
        }
        f = next;
    }
}

/* Undo actors_hide_cstack_frames: the tasklet's stack is back in place. */
static inline void
actors_unhide_cstack_frames(actors_pystate *s)
{
    unsigned int i;
    if (s->nlinks == 0)
        return;
    s->link0.frame->previous = s->link0.previous;
    for (i = 1; i < s->nlinks; i++)
        s->links[i - 1].frame->previous = s->links[i - 1].previous;
    s->nlinks = 0;
}

/* The running context is leaving the CPU: move the thread state into s.
 * Plain stores into ts here and below: the GIL makes them safe. */
static inline void
actors_pystate_save(actors_pystate *s, PyThreadState *ts)
{
    s->current_frame = ts->current_frame;
    actors_hide_cstack_frames(s, ts->current_frame);
    s->py_recursion_depth = ts->py_recursion_limit - ts->py_recursion_remaining;
    s->c_recursion_depth = Py_C_RECURSION_LIMIT - ts->c_recursion_remaining;
    /* ts->delete_later stays with the thread, as trash_delete_later did on
     * 3.11: it holds objects already dead (refcount 0, untracked) that any
     * context may finish deallocating, and a list left in a suspended or
     * dying tasklet would only delay or leak them.  The trashcan's nesting,
     * which must balance per C stack, is c_recursion_remaining, saved
     * above. */
    /* critical_section points at the innermost _PyCriticalSection, which
     * lives on the C stack of the context that entered it: per tasklet,
     * like the frame chain, so it is kept with the tasklet.  With the GIL
     * (the only build supported, see the top) it is always 0. */
    s->critical_section = ts->critical_section;
    s->datastack_chunk = ts->datastack_chunk;
    s->datastack_top = ts->datastack_top;
    s->exc_info = ts->exc_info == &ts->exc_state ? NULL : ts->exc_info;
    s->exc_value = ts->exc_state.exc_value;
    s->context = ts->context;            /* the reference moves into s */
    ts->context = NULL;
    /* Also left with the thread, as 3.11 leaves their counterparts: the
     * exception being raised (none across a switch), tracing/what_event
     * (sys.monitoring's reentrancy guard), recursion_headroom,
     * previous_executor (tier-2 executors, off in a default build),
     * coroutine origin tracking, and _PyThreadStateImpl's
     * asyncio_running_loop (per thread, as the 3.11 cache was). */
}

/* sys.monitoring keeps tracing per interpreter, not in the thread state:
 * nothing to carry across a switch. */
static inline int
actors_pystate_tracing(PyThreadState *ts)
{
    (void)ts;
    return 0;
}

/* Move s into the thread state. */
static inline void
actors_pystate_restore(actors_pystate *s, PyThreadState *ts, int use_tracing)
{
    (void)use_tracing;
    actors_unhide_cstack_frames(s);
    ts->current_frame = s->current_frame;
    ts->py_recursion_remaining = ts->py_recursion_limit - s->py_recursion_depth;
    ts->c_recursion_remaining = Py_C_RECURSION_LIMIT - s->c_recursion_depth;
    ts->critical_section = s->critical_section;
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
    s->top = NULL;
}

/* Thread state for a tasklet about to run its first Python frame: an
 * empty frame chain, an empty frame stack in `chunk` (CPython 3.13's
 * _PyThreadState_PopFrame frees a chunk only when the popped frame sits at
 * its data[0], and push_chunk skips that slot in a root chunk: so a root
 * chunk whose first slot is skipped is never freed), the starter's
 * recursion depths (it runs below the starter on the same C stack), no
 * critical section, no exception being handled, the context given before
 * the start if any. */
static inline void
actors_pystate_start(actors_pystate *s, PyThreadState *ts, int use_tracing,
                     actors_anchor *anchor, _PyStackChunk *chunk,
                     size_t chunk_size)
{
    (void)use_tracing;
    (void)anchor;
    ts->current_frame = NULL;
    /* py_recursion_remaining, c_recursion_remaining: still the starter's,
     * saved just before */
    ts->critical_section = 0;
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

/* The frame stack of a finished tasklet is back to its root chunk. */
static inline int
actors_pystate_chunk_is_root(PyThreadState *ts, _PyStackChunk *chunk)
{
    return ts->datastack_chunk == chunk && ts->datastack_top == &chunk->data[1];
}

/* Top frame object of a suspended tasklet, or a new None.  Its chain skips
 * the entry frames (see above), so f_back never reaches the C stack. */
static inline PyObject *
actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
{
    struct _PyInterpreterFrame *saved = ts->current_frame;
    PyFrameObject *f;
    /* GIL held: no other thread reads ts->current_frame meanwhile. */
    ts->current_frame = s->top;
    f = PyThreadState_GetFrame(ts);      /* skips incomplete frames */
    ts->current_frame = saved;
    if (f == NULL)
        Py_RETURN_NONE;
    return (PyObject *)f;
}

static inline int
actors_pystate_traverse(actors_pystate *s, visitproc visit, void *arg)
{
    Py_VISIT(s->context);
    Py_VISIT(s->exc_value);
    return 0;
}

/* The links are not put back: a tasklet that is cleared never runs again
 * (and its thread may be gone with the frames). */
static inline void
actors_pystate_clear(actors_pystate *s)
{
    Py_CLEAR(s->context);
    Py_CLEAR(s->exc_value);
    PyMem_RawFree(s->links);
    s->links = NULL;
    s->links_capacity = 0;
    s->nlinks = 0;
}

/* Let a finalized object that was resurrected be finalized again when it
 * is dropped once more (CPython runs tp_finalize once per object): 3.13
 * (GIL build) keeps the mark in bit 0 of the GC header's _gc_prev. */
static inline void
actors_gc_clear_finalized(PyObject *op)
{
    _PyGC_CLEAR_FINALIZED(op);
}

static inline PyObject **actors_pystate_context(actors_pystate *s) { return &s->context; }
static inline PyObject **actors_thread_context(PyThreadState *ts) { return &ts->context; }
static inline void actors_thread_context_changed(PyThreadState *ts) { ts->context_ver++; }

#endif
