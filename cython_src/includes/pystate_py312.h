/* CPython 3.12's thread state, as a tasklet sees it.  Included only by
 * pystate_compat.h, which says what each function must do.
 *
 * What differs from 3.11 (written from 3.12.1's Include/cpython/pystate.h
 * and Include/internal/pycore_frame.h):
 *  - _PyCFrame has no use_tracing (tracing is sys.monitoring's
 *    instrumentation of code objects, per interpreter): nothing to carry.
 *  - the recursion counters are split: py_recursion_remaining/limit count
 *    Python frames, c_recursion_remaining counts C-level recursion.
 *  - the trashcan state is tstate->trash {delete_nesting, delete_later}.
 *  - every _PyEval_EvalFrameDefault call links an "entry frame" that lives
 *    in its own C frame (owner FRAME_OWNED_BY_CSTACK) into the chain of
 *    interpreter frames.  See "Hiding the entry frames" below.
 */
#ifndef ACTORS_PYSTATE_PY312_H
#define ACTORS_PYSTATE_PY312_H
#define ACTORS_PYSTATE_SUPPORTED 1

/* _PyInterpreterFrame and its helpers are internal in 3.12. */
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#define ACTORS_UNDEF_BUILD_CORE
#endif
#include "internal/pycore_frame.h"
#ifdef ACTORS_UNDEF_BUILD_CORE
#undef Py_BUILD_CORE
#undef ACTORS_UNDEF_BUILD_CORE
#endif

typedef _PyCFrame actors_anchor;         /* the C-frame anchor of a tasklet */
typedef _PyStackChunk actors_chunk;

/* Hiding the entry frames.
 *
 * A suspended tasklet's interpreter frames are on the heap (its frame-stack
 * chunks, generator objects), but the entry frames between them are in its
 * C stack, whose bytes another tasklet may be using: PyFrame_GetBack() and
 * PyThreadState_GetFrame() walk frame->previous through them, reading
 * whatever is there now.  So while a tasklet is suspended its chain holds
 * only heap frames: at save, while its C stack is still in place, a frame
 * whose `previous` is an entry frame is pointed past it (and past any
 * entry frames right below), to the next heap frame or NULL.  Incomplete
 * heap frames stay (CPython's walkers skip them, and the suspended
 * tasklet's frame-stack chunks are untouched until it resumes), so the
 * walk tests only `owner` and never loads a code object.  Each pointer
 * changed is recorded and put back at restore, before the tasklet runs
 * again: the interpreter needs the real chain (a return compares
 * `previous` with its own entry frame).  The walk costs one step per frame
 * at each switch; a tasklet has one entry frame under its first Python
 * frame, so one record is kept in place and only more spill to the heap. */
typedef struct {
    struct _PyInterpreterFrame *frame;   /* whose previous was changed */
    struct _PyInterpreterFrame *previous;/* what it was */
} actors_relink;

typedef struct {
    _PyCFrame *cframe;                   /* lives on the tasklet's C stack */
    struct _PyInterpreterFrame *current_frame;  /* may be an entry frame */
    struct _PyInterpreterFrame *top;     /* first heap frame, or NULL */
    int py_recursion_depth;              /* limit - remaining, so a changed
                                            limit applies to every tasklet */
    int c_recursion_remaining;           /* absolute: see actors_pystate_save */
    int trash_delete_nesting;
    PyObject *trash_delete_later;        /* dealloc'd objects (refcount 0)
                                            this tasklet's trashcan deferred;
                                            it frees them once its own
                                            nesting is back to 0, so what a
                                            tasklet drops is finalized in it,
                                            not in whichever ran next */
    _PyStackChunk *datastack_chunk;      /* the limit is derived from it */
    PyObject **datastack_top;
    _PyErr_StackItem *exc_info;          /* NULL: the base item below */
    PyObject *exc_value;                 /* of the tasklet's base item, whose
                                            previous_item is always NULL */
    PyObject *context;                   /* strong reference or NULL */
    int nrelinks;                        /* pointers changed, see above */
    int relinks_capacity;                /* of `relinks` */
    actors_relink relink0;               /* the first one */
    actors_relink *relinks;              /* the others (PyMem_Raw) */
} actors_pystate;


static inline void
actors_relink_frame(actors_pystate *s, struct _PyInterpreterFrame *f,
                    struct _PyInterpreterFrame *previous)
{
    actors_relink *r;
    if (s->nrelinks == 0) {
        r = &s->relink0;
    }
    else {
        int i = s->nrelinks - 1;         /* index in `relinks` */
        if (i >= s->relinks_capacity) {
            int n = s->relinks_capacity ? 2 * s->relinks_capacity : 4;
            actors_relink *p = (actors_relink *)PyMem_RawRealloc(
                s->relinks, (size_t)n * sizeof(actors_relink));
            if (p == NULL)
                Py_FatalError("actors: out of memory suspending a tasklet");
            s->relinks = p;
            s->relinks_capacity = n;
        }
        r = &s->relinks[i];
    }
    r->frame = f;
    r->previous = f->previous;
    f->previous = previous;
    s->nrelinks++;
}

/* Called while the tasklet's C stack is in place: hide its entry frames. */
static inline void
actors_hide_entry_frames(actors_pystate *s, struct _PyInterpreterFrame *f)
{
    struct _PyInterpreterFrame *last = NULL, *next;
    s->top = NULL;
    s->nrelinks = 0;
    for (; f != NULL; f = next) {
        next = f->previous;              /* read before `last` changes */
        if (f->owner == FRAME_OWNED_BY_CSTACK)
            continue;
        if (last == NULL)
            s->top = f;
        else if (last->previous != f)
            actors_relink_frame(s, last, f);
        last = f;
    }
    if (last != NULL && last->previous != NULL)
        actors_relink_frame(s, last, NULL);
}

/* Called once the tasklet's C stack is back: the interpreter's own chain. */
static inline void
actors_show_entry_frames(actors_pystate *s)
{
    int i;
    if (s->nrelinks == 0)
        return;
    s->relink0.frame->previous = s->relink0.previous;
    for (i = 0; i < s->nrelinks - 1; i++)
        s->relinks[i].frame->previous = s->relinks[i].previous;
    s->nrelinks = 0;
}

/* The running context is leaving the CPU: move the thread state into s.
 *
 * C recursion: 3.12's C limit is a compile-time constant that nothing
 * rescales (sys.setrecursionlimit changes py_recursion_* only), so the
 * remaining count is kept as it is; a depth against the limit would hold
 * the same number and depend on the macro's name, which later 3.12
 * releases changed (C_RECURSION_LIMIT, Py_C_RECURSION_LIMIT). */
static inline void
actors_pystate_save(actors_pystate *s, PyThreadState *ts)
{
    s->cframe = ts->cframe;
    s->current_frame = ts->cframe->current_frame;
    actors_hide_entry_frames(s, s->current_frame);
    s->py_recursion_depth = ts->py_recursion_limit - ts->py_recursion_remaining;
    s->c_recursion_remaining = ts->c_recursion_remaining;
    s->trash_delete_nesting = ts->trash.delete_nesting;
    s->trash_delete_later = ts->trash.delete_later;
    ts->trash.delete_later = NULL;
    s->datastack_chunk = ts->datastack_chunk;
    s->datastack_top = ts->datastack_top;
    s->exc_info = ts->exc_info == &ts->exc_state ? NULL : ts->exc_info;
    s->exc_value = ts->exc_state.exc_value;
    s->context = ts->context;            /* the reference moves into s */
    ts->context = NULL;
}

/* 3.12 keeps no tracing flag in the C frames: nothing to carry. */
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
    actors_show_entry_frames(s);
    ts->cframe = s->cframe;
    ts->cframe->current_frame = s->current_frame;
    ts->py_recursion_remaining = ts->py_recursion_limit - s->py_recursion_depth;
    ts->c_recursion_remaining = s->c_recursion_remaining;
    ts->trash.delete_nesting = s->trash_delete_nesting;
    ts->trash.delete_later = s->trash_delete_later;
    s->trash_delete_later = NULL;
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

/* Thread state for a tasklet about to run its first Python frame: a fresh
 * C-frame anchor on its own C stack (its first entry frame then links to
 * no frame), an empty frame stack in `chunk` (CPython never frees a root
 * chunk whose first slot is skipped: 3.12's push_chunk and
 * _PyThreadState_PopFrame are 3.11's), the starter's recursion depths, both
 * Python and C (it runs below the starter on the same C stack), an empty
 * trashcan, no exception being handled, the context given before the
 * start if any. */
static inline void
actors_pystate_start(actors_pystate *s, PyThreadState *ts, int use_tracing,
                     _PyCFrame *anchor, _PyStackChunk *chunk, size_t chunk_size)
{
    (void)use_tracing;
    anchor->current_frame = NULL;
    anchor->previous = &ts->root_cframe;
    ts->cframe = anchor;
    /* py/c_recursion_remaining: still the starter's, saved just before */
    ts->trash.delete_nesting = 0;
    ts->trash.delete_later = NULL;       /* the starter's is in its state */
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

/* Top frame object of a suspended tasklet, or a new None: its first
 * complete frame, found from the first heap frame in the chain save left
 * free of entry frames.  (3.12 runs
 * the GC from the eval loop only, so making the frame object cannot run
 * Python code while the thread state shows that frame.) */
static inline PyObject *
actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
{
    struct _PyInterpreterFrame *saved = ts->cframe->current_frame;
    PyFrameObject *f;
    if (s->top == NULL)
        Py_RETURN_NONE;
    ts->cframe->current_frame = s->top;
    f = PyThreadState_GetFrame(ts);
    ts->cframe->current_frame = saved;
    if (f == NULL)
        Py_RETURN_NONE;
    return (PyObject *)f;
}

static inline int
actors_pystate_traverse(actors_pystate *s, visitproc visit, void *arg)
{
    /* Not trash_delete_later: those objects are already dead to the GC. */
    Py_VISIT(s->context);
    Py_VISIT(s->exc_value);
    return 0;
}

static inline void
actors_pystate_clear(actors_pystate *s)
{
    Py_CLEAR(s->context);
    Py_CLEAR(s->exc_value);
    if (s->relinks != NULL) {
        PyMem_RawFree(s->relinks);
        s->relinks = NULL;
        s->relinks_capacity = 0;
    }
}

/* Let a finalized object that was resurrected be finalized again when it
 * is dropped once more (CPython runs tp_finalize once per object): 3.12
 * keeps the mark in bit 0 of the GC header's _gc_prev
 * (_PyGC_PREV_MASK_FINALIZED in Include/internal/pycore_gc.h), as 3.11. */
typedef struct { uintptr_t next, prev; } actors_gc_head;
static inline void
actors_gc_clear_finalized(PyObject *op)
{
    ((actors_gc_head *)op - 1)->prev &= ~(uintptr_t)1;
}

static inline PyObject **actors_pystate_context(actors_pystate *s) { return &s->context; }
static inline PyObject **actors_thread_context(PyThreadState *ts) { return &ts->context; }
static inline void actors_thread_context_changed(PyThreadState *ts) { ts->context_ver++; }

#endif
