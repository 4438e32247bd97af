/* Live actors out of the cyclic collector's way.
 *
 * A live actor is always reachable: the process table holds it.  Tracking
 * it only makes every collection walk it (its object and the frames of its
 * saved stack), which with a million parked actors dominates the run time.
 * So a Process is untracked while it is in the table and tracked again when
 * it leaves it.  Untracking never frees anything early: what an untracked
 * object refers to counts as referenced from outside, so it stays alive;
 * the only cost would be cycles through the object going uncollected, and
 * a live actor is never garbage.  After its end, cycles through it
 * (class-style state holding the actor itself) are the collector's again.
 *
 * The process table itself is untracked too (after every insertion, which
 * tracks a dict again): it is a module global, so never garbage, and holds
 * only Pids (atoms) and untracked live actors; left tracked, every full
 * collection would read the header of every live actor through it.
 */
#ifndef ACTORS_GC_QUIET_H
#define ACTORS_GC_QUIET_H
#include <Python.h>

static inline void actors_gc_untrack(PyObject *o)
{
#ifndef PYPY_VERSION
    if (PyObject_GC_IsTracked(o))
        PyObject_GC_UnTrack(o);
#else
    (void)o;
#endif
}

static inline void actors_gc_retrack(PyObject *o)
{
#ifndef PYPY_VERSION
    if (!PyObject_GC_IsTracked(o))
        PyObject_GC_Track(o);
#else
    (void)o;
#endif
}
#endif
