# The table of live actors.  `processes` (Pid -> Process) is the authority;
# beside it an array indexed by a Pid's id answers a lookup of the Pid object
# that spawn() returned (the one every send to a local actor usually
# carries) without hashing it or probing the dict: one slot read where the
# dict probe read an index line and an entry line, both cold in a ring of
# 10,000 actors.  Ids are given out in sequence, so the live ones spread
# over the slots; two that share a slot leave the older one to the dict.
# A slot holds a borrowed pointer to a live Process: taking a process out
# of the table clears its slot first, and a hit needs the slot's process to
# carry that very Pid object.  Callers hold the GIL.

from libc.stdlib cimport calloc, free
from libc.string cimport memset

cdef PyObject **pid_slots = NULL
cdef size_t pid_nslots = 0              # a power of two, or 0: no array


cdef int table_add(Process p) except -1:
    """p (with its new Pid) joins the live actors."""
    processes[p.pid] = p
    actors_gc_untrack(processes)          # an insertion tracks the table again
    if <size_t>len(processes) > pid_nslots:
        grow_slots()
    if pid_nslots:
        pid_slots[<size_t>p.pid.id & (pid_nslots - 1)] = <PyObject *>p
    return 0


cdef void grow_slots() noexcept:
    """An array of at least one slot per live actor, refilled from the
    dict.  Without memory for it, lookups use the dict alone."""
    global pid_slots, pid_nslots
    cdef size_t n = pid_nslots or 1024
    cdef Process q
    while n < <size_t>len(processes):
        n *= 2
    cdef PyObject **slots = <PyObject **>calloc(n, sizeof(PyObject *))
    free(pid_slots)
    pid_slots = slots
    pid_nslots = n if slots != NULL else 0
    if slots != NULL:
        for v in processes.values():
            q = <Process>v
            slots[<size_t>q.pid.id & (n - 1)] = <PyObject *>q


cdef void table_remove(Process p) noexcept:
    """p leaves the live actors (its slot first: p may be freed after)."""
    cdef size_t i
    if pid_nslots:
        i = <size_t>p.pid.id & (pid_nslots - 1)
        if pid_slots[i] == <PyObject *>p:
            pid_slots[i] = NULL
    processes.pop(p.pid, None)


cdef void table_clear() noexcept:
    if pid_nslots:
        memset(pid_slots, 0, pid_nslots * sizeof(PyObject *))
    processes.clear()


cdef inline Process table_get(Pid pid):
    """The live local actor of pid, or None."""
    cdef PyObject *e
    if pid_nslots:
        e = pid_slots[<size_t>pid.id & (pid_nslots - 1)]
        if e != NULL and (<Process>e).pid is pid:
            return <Process>e
    return <Process>processes.get(pid)
