# Frame-stack chunks.  CPython 3.11+ gives every new frame stack a 16 KiB
# chunk from mmap: that, not the C stack, is most of what a parked greenlet
# costs.  A tasklet gets a small root chunk from the block arena instead:
# the size its function needed before (chunk_hint.h), else room for its
# function's own frame only, else CHUNK_SIZE for callables without a code
# object.  A function whose tasklets call past their own frame as they run
# (seen when one is suspended) gets CHUNK_SIZE-byte roots from then on, so
# only functions that never do (a receive loop calling nothing in Python,
# a parked greenlet) keep the tight root.  ACTORS_CHUNK_SIZE, when set, is
# every root's minimum.  Frames that do not fit overflow into chunks
# CPython allocates and frees itself (arena.pxi keeps a few of those for
# reuse, so a call crossing the line is cheap).

import os

cdef extern from "chunk_hint.h":
    void actors_chunk_hint_init()
    size_t actors_chunk_bytes(actors_chunk *c)
    void actors_chunk_set_bytes(actors_chunk *c, size_t size)
    size_t actors_chunk_want(PyObject *fn)
    void actors_chunk_learn(PyThreadState *ts, actors_chunk *root,
                            size_t roomy)

cdef size_t CHUNK_SIZE = int(os.environ.get("ACTORS_CHUNK_SIZE", "512"))
if not 256 <= CHUNK_SIZE <= (NCLASSES << CLASS_SHIFT):
    raise ImportError("ACTORS_CHUNK_SIZE must be from 256 to %d bytes"
                      % (NCLASSES << CLASS_SHIFT))
CHUNK_SIZE = block_size(CHUNK_SIZE)
# The smallest root: ACTORS_CHUNK_SIZE when given, else none.
cdef size_t CHUNK_MIN = CHUNK_SIZE if "ACTORS_CHUNK_SIZE" in os.environ else 0
actors_chunk_hint_init()


cdef inline size_t chunk_size_for(PyObject *fn) noexcept:
    """Bytes for the root chunk of a tasklet that starts by calling fn."""
    cdef size_t size = actors_chunk_want(fn)
    if size == 0:
        size = CHUNK_SIZE
    return block_size(size if size > CHUNK_MIN else CHUNK_MIN)


cdef inline actors_chunk *chunk_alloc(size_t size) noexcept:
    return <actors_chunk *>block_alloc(size)


cdef inline void chunk_free(actors_chunk *c) noexcept:
    block_free(c, actors_chunk_bytes(c))
