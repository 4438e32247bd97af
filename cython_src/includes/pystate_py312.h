/* CPython 3.12's thread state, as a tasklet sees it.  Included only by
 * pystate_compat.h, which says what each function must do.
 *
 * What differs from 3.11 (written from 3.12.1's Include/cpython/pystate.h
 * and Include/internal/pycore_frame.h):
 *  - _PyCFrame has no use_tracing (tracing is sys.monitoring's
 *    instrumentation of code objects, per interpreter): nothing to carry.
 *  - the recursion counters are split: py_recursion_remaining/limit count
 *    Python frames, c_recursion_remaining counts C-level recursion.
 *  - the trashcan state is tstate->trash {delete_nesting, delete_later}
 *    (what is per tasklet of it: pystate_common.h).
 *  - every _PyEval_EvalFrameDefault call links an "entry frame" that lives
 *    in its own C frame (owner FRAME_OWNED_BY_CSTACK, the last value of the
 *    enum) into the chain of interpreter frames: see pystate_frames.h.
 */
#ifndef ACTORS_PYSTATE_PY312_H
#define ACTORS_PYSTATE_PY312_H
#define ACTORS_PYSTATE_SUPPORTED 1

/* _PyInterpreterFrame and its helpers are internal in 3.12. */
#include "pycore_begin.h"
#include "internal/pycore_frame.h"
#include "pycore_end.h"

typedef _PyCFrame actors_anchor;         /* the C-frame anchor of a tasklet */
typedef _PyStackChunk actors_chunk;

#define ACTORS_FRAME_ON_CSTACK(ts, f) ((f)->owner == FRAME_OWNED_BY_CSTACK)
#include "pystate_frames.h"

typedef struct {
    _PyCFrame *cframe;                   /* lives on the tasklet's C stack */
    struct _PyInterpreterFrame *current_frame;  /* may be an entry frame */
    actors_frame_links frames;           /* see pystate_frames.h */
    int py_recursion_depth;              /* limit - remaining, so a changed
                                            limit applies to every tasklet */
    int c_recursion_remaining;           /* absolute: see actors_pystate_save */
    int trash_nesting;                   /* see pystate_common.h */
    ACTORS_PYSTATE_COMMON_FIELDS         /* see pystate_compat.h */
} actors_pystate;

#define ACTORS_TS_CURRENT_FRAME(ts) ((ts)->cframe->current_frame)
#define ACTORS_TRASH_NESTING(ts) ((ts)->trash.delete_nesting)
#define ACTORS_PYSTATE_HAS_ABANDON 1    /* pystate_reclaim.h, at the end */
#include "pystate_common.h"

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
    actors_frames_hide(&s->frames, ts, s->current_frame);
    s->py_recursion_depth = ts->py_recursion_limit - ts->py_recursion_remaining;
    s->c_recursion_remaining = ts->c_recursion_remaining;
    actors_common_save(s, ts);
}

/* Move s into the thread state. */
static inline void
actors_pystate_restore(actors_pystate *s, PyThreadState *ts, int use_tracing)
{
    (void)use_tracing;
    actors_frames_unhide(&s->frames);
    ts->cframe = s->cframe;
    ts->cframe->current_frame = s->current_frame;
    ts->py_recursion_remaining = ts->py_recursion_limit - s->py_recursion_depth;
    ts->c_recursion_remaining = s->c_recursion_remaining;
    actors_common_restore(s, ts);
}

/* Thread state for a tasklet about to run its first Python frame: a fresh
 * C-frame anchor on its own C stack (its first entry frame then links to
 * no frame), an empty frame stack in `chunk` (CPython never frees a root
 * chunk whose first slot is skipped: 3.12's push_chunk and
 * _PyThreadState_PopFrame are 3.11's), the starter's recursion depths, both
 * Python and C, and its trashcan nesting (it runs below the starter on the
 * same C stack), no exception being handled, the context given before the
 * start if any. */
static inline void
actors_pystate_start(actors_pystate *s, PyThreadState *ts, int use_tracing,
                     _PyCFrame *anchor, _PyStackChunk *chunk, size_t chunk_size)
{
    (void)use_tracing;
    anchor->current_frame = NULL;
    anchor->previous = &ts->root_cframe;
    ts->cframe = anchor;
    /* py/c_recursion_remaining, trash.delete_nesting: still the starter's,
     * saved just before */
    actors_common_start(s, ts, chunk, chunk_size);
}

/* Top frame object of a suspended tasklet, or a new None: its first
 * complete frame, found from the first heap frame in the chain save left
 * free of entry frames.  (3.12 runs the GC from the eval loop only, so
 * making the frame object cannot run Python code while the thread state
 * shows that frame.) */
static inline PyObject *
actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
{
    return actors_frame_object_from(ts, s->frames.top);
}

#include "pystate_reclaim.h"

#endif
