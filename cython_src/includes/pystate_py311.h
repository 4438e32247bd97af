/* CPython 3.11's thread state, as a tasklet sees it.  Included only by
 * pystate_compat.h, which says what each function must do. */
#ifndef ACTORS_PYSTATE_PY311_H
#define ACTORS_PYSTATE_PY311_H
#define ACTORS_PYSTATE_SUPPORTED 1

/* _PyInterpreterFrame is internal (chunk_hint.h reads a frame's code). */
#include "pycore_begin.h"
#include "internal/pycore_frame.h"
#include "pycore_end.h"

typedef _PyCFrame actors_anchor;         /* the C-frame anchor of a tasklet */
typedef _PyStackChunk actors_chunk;

typedef struct {
    _PyCFrame *cframe;                   /* lives on the tasklet's C stack */
    struct _PyInterpreterFrame *current_frame;
    int recursion_depth;                 /* limit - remaining, so a changed
                                            limit applies to every tasklet */
    int trash_nesting;                   /* see pystate_common.h */
    ACTORS_PYSTATE_COMMON_FIELDS         /* see pystate_compat.h */
} actors_pystate;

#define ACTORS_PYSTATE_HAS_TRACING 1    /* actors_pystate_tracing below */
#define ACTORS_TRASH_NESTING(ts) ((ts)->trash_delete_nesting)
#define ACTORS_TS_CURRENT_FRAME(ts) ((ts)->cframe->current_frame)
#define ACTORS_PYSTATE_HAS_ABANDON 1    /* pystate_reclaim.h, at the end */
#include "pystate_common.h"

/* The running context is leaving the CPU: move the thread state into s. */
static inline void
actors_pystate_save(actors_pystate *s, PyThreadState *ts)
{
    s->cframe = ts->cframe;
    s->current_frame = ts->cframe->current_frame;
    s->recursion_depth = ts->recursion_limit - ts->recursion_remaining;
    actors_common_save(s, ts);
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
    actors_common_restore(s, ts);
}

/* Thread state for a tasklet about to run its first Python frame: a fresh
 * C-frame anchor on its own C stack, an empty frame stack in `chunk`
 * (CPython never frees a root chunk whose first slot is skipped), the
 * starter's recursion depth and trashcan nesting (it runs below the
 * starter on the same C stack), no exception being handled, the context
 * given before the start if any. */
static inline void
actors_pystate_start(actors_pystate *s, PyThreadState *ts, int use_tracing,
                     _PyCFrame *anchor, _PyStackChunk *chunk, size_t chunk_size)
{
    anchor->use_tracing = use_tracing;
    anchor->current_frame = NULL;
    anchor->previous = &ts->root_cframe;
    ts->cframe = anchor;
    /* recursion_remaining, trash_delete_nesting: still the starter's,
     * saved just before */
    actors_common_start(s, ts, chunk, chunk_size);
}

/* Top frame object of a suspended tasklet, or a new None. */
static inline PyObject *
actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
{
    return actors_frame_object_from(ts, s->current_frame);
}

#include "pystate_reclaim.h"

#endif
