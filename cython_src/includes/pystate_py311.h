/* CPython 3.11's thread state, as a tasklet sees it.  Included only by
 * pystate_compat.h, which says what each function must do. */
#ifndef ACTORS_PYSTATE_PY311_H
#define ACTORS_PYSTATE_PY311_H
#define ACTORS_PYSTATE_SUPPORTED 1

typedef _PyCFrame actors_anchor;         /* the C-frame anchor of a tasklet */
typedef _PyStackChunk actors_chunk;

typedef struct {
    _PyCFrame *cframe;                   /* lives on the tasklet's C stack */
    struct _PyInterpreterFrame *current_frame;
    int recursion_depth;                 /* limit - remaining, so a changed
                                            limit applies to every tasklet */
    int trash_delete_nesting;
    _PyStackChunk *datastack_chunk;      /* the limit is derived from it */
    PyObject **datastack_top;
    _PyErr_StackItem *exc_info;          /* NULL: the base item below */
    PyObject *exc_value;                 /* of the tasklet's base item, whose
                                            previous_item is always NULL */
    PyObject *context;                   /* strong reference or NULL */
} actors_pystate;

/* The running context is leaving the CPU: move the thread state into s. */
static inline void
actors_pystate_save(actors_pystate *s, PyThreadState *ts)
{
    s->cframe = ts->cframe;
    s->current_frame = ts->cframe->current_frame;
    s->recursion_depth = ts->recursion_limit - ts->recursion_remaining;
    s->trash_delete_nesting = ts->trash_delete_nesting;
    s->datastack_chunk = ts->datastack_chunk;
    s->datastack_top = ts->datastack_top;
    s->exc_info = ts->exc_info == &ts->exc_state ? NULL : ts->exc_info;
    s->exc_value = ts->exc_state.exc_value;
    s->context = ts->context;            /* the reference moves into s */
    ts->context = NULL;
}

/* Whether the thread traces, read before a switch: afterwards ts->cframe
 * may point into stack bytes the switch has overwritten. */
static inline int
actors_pystate_tracing(PyThreadState *ts)
{
    return ts->cframe->use_tracing;
}

/* Move s into the thread state; tracing is per thread, so the target's
 * frame stack takes the thread's setting read before the switch. */
static inline void
actors_pystate_restore(actors_pystate *s, PyThreadState *ts, int use_tracing)
{
    ts->cframe = s->cframe;
    ts->cframe->use_tracing = use_tracing;
    ts->cframe->current_frame = s->current_frame;
    ts->recursion_remaining = ts->recursion_limit - s->recursion_depth;
    ts->trash_delete_nesting = s->trash_delete_nesting;
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
}

/* Thread state for a tasklet about to run its first Python frame: a fresh
 * C-frame anchor on its own C stack, an empty frame stack in `chunk`
 * (CPython never frees a root chunk whose first slot is skipped), the
 * starter's recursion depth (it runs below the starter on the same C
 * stack), no exception being handled, the context given before the start
 * if any. */
static inline void
actors_pystate_start(actors_pystate *s, PyThreadState *ts, int use_tracing,
                     _PyCFrame *anchor, _PyStackChunk *chunk, size_t chunk_size)
{
    anchor->use_tracing = use_tracing;
    anchor->current_frame = NULL;
    anchor->previous = &ts->root_cframe;
    ts->cframe = anchor;
    /* recursion_remaining: still the starter's, saved just before */
    ts->trash_delete_nesting = 0;
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

/* Top frame object of a suspended tasklet, or a new None. */
static inline PyObject *
actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
{
    struct _PyInterpreterFrame *saved = ts->cframe->current_frame;
    PyFrameObject *f;
    ts->cframe->current_frame = s->current_frame;
    f = PyThreadState_GetFrame(ts);      /* skips incomplete frames */
    ts->cframe->current_frame = saved;
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

static inline void
actors_pystate_clear(actors_pystate *s)
{
    Py_CLEAR(s->context);
    Py_CLEAR(s->exc_value);
}

/* Let a finalized object that was resurrected be finalized again when it
 * is dropped once more (CPython runs tp_finalize once per object): 3.11
 * keeps the mark in bit 0 of the GC header's _gc_prev. */
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
