# Stack slicing: every tasklet runs on the thread's own C stack.  A
# suspended tasklet's live stack is [start, stop); the bytes another context
# is about to overwrite are copied to the heap (`copy`, `saved` bytes from
# `start`) at switch time and written back when it resumes.  `prev` links to
# the context whose slice lies right above (higher addresses), so a switch
# saves exactly the slices lying under the target's `stop`.
#
# save_cb and restore_cb run inside the assembly stub and must not touch
# Python objects: save_cb on the departing stack, restore_cb below the
# target's stack pointer (so its own frame never overlaps what it copies).

from libc.string cimport memcpy
from libc.stdint cimport uintptr_t

cdef extern from *:
    """
    /* Ask for a suspended context's saved bytes ahead of its resume, so that
     * the copy back (restore_cb) does not wait on memory line by line. */
    static inline void actors_prefetch(const char *p, size_t n)
    {
        const char *end = p + n;
        for (; p < end; p += 64)
            __builtin_prefetch(p, 0, 3);
    }
    """
    void actors_prefetch(const char *p, size_t n) nogil

cdef struct Stack:
    char *start        # saved stack pointer; NULL: not started, dying or dead
    char *stop         # end of the slice (exclusive); main: the top of memory
    char *copy         # heap copy of the lowest `saved` bytes
    unsigned int saved
    unsigned int capacity  # of `copy`, kept across switches to spare allocations
    Stack *prev        # the context whose slice lies above this one

cdef struct Switch:
    Stack *current     # the context switching away
    Stack *target
    PyObject *starting # the Tasklet being started (borrowed), or NULL


# Bytes held in every Stack's `saved` (the stack_bytes gauge), kept where
# they are copied: an add beside a memcpy, never a walk over the tasklets.
cdef size_t saved_total = 0


cdef inline bint below(char *a, char *b) noexcept:
    return <uintptr_t>a < <uintptr_t>b


cdef int save_slice(Stack *g, char *stop) noexcept:
    """Extend g's heap copy up to `stop`; -1 when out of memory."""
    global saved_total
    cdef size_t want
    cdef char *p
    if g.start == NULL or not below(g.start + g.saved, stop):
        return 0
    want = <size_t>(stop - g.start)
    if want > g.capacity:
        p = <char *>block_alloc(want)
        if p == NULL:
            return -1
        memcpy(p, g.copy, g.saved)
        block_free(g.copy, g.capacity)
        g.copy = p
        g.capacity = block_size(want)
    memcpy(g.copy + g.saved, g.start + g.saved, want - g.saved)
    if OBSERVE:
        saved_total += want - g.saved
    g.saved = want
    return 0


cdef void *save_cb(void *sp, void *arg) noexcept:
    cdef Switch *sw = <Switch *>arg
    cdef Stack *target = sw.target
    cdef Stack *owner = sw.current
    if sw.starting != NULL:
        # A new tasklet runs right below the departing one: nothing of the
        # departing stack is in its way, so nothing is copied.
        target.stop = <char *>sp
        target.start = <char *>sp
    if owner.start == NULL:
        owner = owner.prev             # dying: nothing of it is worth keeping
    else:
        owner.start = <char *>sp
    while owner != NULL and below(owner.stop, target.stop):
        if save_slice(owner, owner.stop) < 0:   # wholly in the way
            return NULL
        owner = owner.prev
    if owner != NULL and owner != target:
        if save_slice(owner, target.stop) < 0:  # partly in the way
            return NULL
    return target.start


cdef void restore_cb(void *arg) noexcept:
    global saved_total
    cdef Switch *sw = <Switch *>arg
    cdef Stack *g = sw.target
    cdef Stack *owner = sw.current
    if g.saved:
        memcpy(g.start, g.copy, g.saved)
        if OBSERVE:
            saved_total -= g.saved
        g.saved = 0
    if owner.start == NULL:
        owner = owner.prev
    while owner != NULL and not below(g.stop, owner.stop):
        owner = owner.prev             # find the first slice reaching higher
    g.prev = owner
    if sw.starting != NULL:
        # Through the pointer: a tail call, so this frame (sized for the
        # copy above) is not kept under every tasklet's first frame.
        tasklet_main_ptr(sw)           # never returns


cdef inline void stack_release(Stack *g) noexcept:
    global saved_total
    if OBSERVE:
        saved_total -= g.saved
    block_free(g.copy, g.capacity)
    g.copy = NULL
    g.saved = g.capacity = 0
