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
 * that thread, so its chain must end there too.  But a tasklet can outlive
 * its thread, whose base frame is freed with the thread state, and a frame
 * object taken from it earlier would walk into that memory.  So a new
 * tasklet starts with current_frame = a copy of the base frame that links
 * to it (actors_chain_end_new, pystate_py314.h): one per thread, owned by
 * the thread's _ThreadState, which every tasklet of the thread holds, and
 * cut off the base frame (previous = NULL) when the thread ends.  The
 * unwinder still ends every walk at the base frame, and skips the copy as
 * it skips the base frame (owner FRAME_OWNED_BY_INTERPRETER); neither is
 * on a C stack, so a suspended tasklet's chain keeps both at its bottom
 * (frames that are on the C stack are linked past while suspended, see
 * pystate_py314.h).  tracebacks, f_back, sys._current_frames and
 * PyThreadState_GetFrame skip them as incomplete frames.
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
