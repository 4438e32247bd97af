/* CPython 3.15's thread state, as a tasklet sees it.  Included only by
 * pystate_compat.h, which says what each function must do.  Written from
 * 3.15.2's Include/cpython/pystate.h, internal/pycore_tstate.h,
 * internal/pycore_interpframe.h and internal/pycore_interpframe_structs.h.
 *
 * The fields a tasklet swaps are 3.14's, and so is their handling (see
 * pystate_py314.h, which this includes).  What 3.15 adds:
 *
 * base_frame.  Every thread's frame chain now ends in a sentinel frame
 * embedded in its _PyThreadStateImpl (ts->base_frame points to it, owner
 * FRAME_OWNED_BY_INTERPRETER, previous NULL).  The remote unwinder behind
 * the sampling profiler and remote debugging follows `previous` from
 * ts->current_frame and rejects a sample whose last frame is not the
 * thread's base_frame ("Incomplete sample").  A tasklet is code running on
 * that thread, so its chain must end there too: a new tasklet starts with
 * current_frame = ts->base_frame, so the entry frame of its first Python
 * call links to the thread's sentinel.  A sentinel of the tasklet's own
 * (in actors_anchor on its C stack, or in the tasklet object) would make
 * every sample taken inside a tasklet "incomplete", and one on its C stack
 * would be overwritten while it is suspended.  The thread's sentinel lives
 * as long as the thread, which outlives all of its tasklets (a tasklet
 * whose thread is gone is never run again), and it is never on a C stack,
 * so a suspended tasklet's chain keeps it as its bottom (frames that are
 * on the C stack are linked past while suspended, see pystate_py314.h).
 * tracebacks, f_back, sys._current_frames and PyThreadState_GetFrame skip
 * it as an incomplete frame, as they do for the thread's own chain.
 *
 * last_profiled_frame.  The remote profiler caches the part of a thread's
 * chain below ts->last_profiled_frame between two samples and stops its
 * walk there; the interpreter moves the mark (and bumps
 * last_profiled_frame_seq) only when that exact frame is popped.  After a
 * switch the chain is another tasklet's: the cached tail is not part of
 * it, and a frame of the new chain could sit at the old mark's address
 * (frame stack memory is reused between tasklets).  So every switch
 * clears the mark and bumps the sequence: the next sample walks the whole
 * chain, as the profiler does when nothing was cached.
 *
 * FRAME_OWNED_BY_CSTACK is gone: entry frames are FRAME_OWNED_BY_INTERPRETER,
 * which the 3.14 code already treats as C-stack frames.
 */
#ifndef ACTORS_PYSTATE_PY315_H
#define ACTORS_PYSTATE_PY315_H

#define ACTORS_PY315 1

static inline void
actors_profiler_cache_reset(PyThreadState *ts)
{
    if (ts->last_profiled_frame != NULL) {
        ts->last_profiled_frame = NULL;
        ts->last_profiled_frame_seq++;
    }
}

#include "pystate_py314.h"

#endif
