/* Moving an owned reference into an object field without counting it.
 *
 * The switch path hands references along: the tasklet being switched to
 * becomes the thread's `current`, an actor popped off the run queue becomes
 * its scheduler's `running`.  Written in Cython, each such assignment is an
 * increment of the new value and a decrement of the old; since 3.12 every
 * count change also tests for an immortal object, and on a ping-pong round
 * trip those changes were a sixth of the runtime's instructions.  Here the
 * new value's reference is stored as is and the old one is returned to the
 * caller, who owns it. */
#ifndef ACTORS_HANDOVER_H
#define ACTORS_HANDOVER_H

static inline PyObject *
actors_slot_swap(PyObject **slot, PyObject *v)
{
    PyObject *old = *slot;
    *slot = v;
    return old;
}

/* st->current = t (a _ThreadState of the native core) */
#define actors_current_handover(st, t) \
    actors_slot_swap((PyObject **)&(st)->current, (t))
/* s->running = q (a Scheduler) */
#define actors_running_handover(s, q) \
    actors_slot_swap((PyObject **)&(s)->running, (q))

#endif
