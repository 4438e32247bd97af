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
 *    the C stack (FRAME_OWNED_BY_CSTACK, still the last value of the enum)
 *    into the frame chain: see pystate_frames.h.
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
#include "pycore_begin.h"
#include "internal/pycore_frame.h"
#include "internal/pycore_gc.h"
#include "pycore_end.h"

/* 3.13 keeps nothing of a tasklet's on its own C stack (3.11 kept its
 * _PyCFrame there): the anchor is a placeholder. */
typedef struct { char unused; } actors_anchor;
typedef _PyStackChunk actors_chunk;

#define ACTORS_FRAME_ON_CSTACK(ts, f) ((f)->owner == FRAME_OWNED_BY_CSTACK)
#include "pystate_frames.h"

typedef struct {
    struct _PyInterpreterFrame *current_frame;   /* exactly as it was */
    actors_frame_links frames;           /* see pystate_frames.h */
    int py_recursion_depth;              /* limit - remaining, so a changed */
    int c_recursion_depth;               /* limit applies to every tasklet */
    uintptr_t critical_section;          /* see actors_pystate_save */
    ACTORS_PYSTATE_COMMON_FIELDS         /* see pystate_compat.h */
} actors_pystate;

#define ACTORS_TS_CURRENT_FRAME(ts) ((ts)->current_frame)
#define ACTORS_PYSTATE_HAS_ABANDON 1    /* pystate_reclaim.h, at the end */
#include "pystate_common.h"

/* The running context is leaving the CPU: move the thread state into s.
 * Plain stores into ts here and below: the GIL makes them safe. */
static inline void
actors_pystate_save(actors_pystate *s, PyThreadState *ts)
{
    s->current_frame = ts->current_frame;
    actors_frames_hide(&s->frames, ts, ts->current_frame);
    s->py_recursion_depth = ts->py_recursion_limit - ts->py_recursion_remaining;
    s->c_recursion_depth = Py_C_RECURSION_LIMIT - ts->c_recursion_remaining;
    /* The trashcan's nesting is the C recursion budget, saved above;
     * ts->delete_later stays with the thread (see pystate_common.h). */
    /* critical_section points at the innermost _PyCriticalSection, which
     * lives on the C stack of the context that entered it: per tasklet,
     * like the frame chain, so it is kept with the tasklet.  With the GIL
     * (the only build supported, see the top) it is always 0. */
    s->critical_section = ts->critical_section;
    actors_common_save(s, ts);
    /* Also left with the thread, as 3.11 leaves their counterparts: the
     * exception being raised (none across a switch), tracing/what_event
     * (sys.monitoring's reentrancy guard), recursion_headroom,
     * previous_executor (tier-2 executors, off in a default build),
     * coroutine origin tracking, and _PyThreadStateImpl's
     * asyncio_running_loop (per thread, as the 3.11 cache was). */
}

/* Move s into the thread state. */
static inline void
actors_pystate_restore(actors_pystate *s, PyThreadState *ts, int use_tracing)
{
    (void)use_tracing;
    actors_frames_unhide(&s->frames);
    ts->current_frame = s->current_frame;
    ts->py_recursion_remaining = ts->py_recursion_limit - s->py_recursion_depth;
    ts->c_recursion_remaining = Py_C_RECURSION_LIMIT - s->c_recursion_depth;
    ts->critical_section = s->critical_section;
    actors_common_restore(s, ts);
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
    actors_common_start(s, ts, chunk, chunk_size);
}

/* Top frame object of a suspended tasklet, or a new None.  Its chain skips
 * the entry frames (see pystate_frames.h), so f_back never reaches the C stack. */
static inline PyObject *
actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
{
    return actors_frame_object_from(ts, s->frames.top);
}

#include "pystate_reclaim.h"

#endif
