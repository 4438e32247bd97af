# Frame-stack chunks.  CPython 3.11+ gives every new frame stack a 16 KiB
# chunk from mmap: that, not the C stack, is most of what a parked greenlet
# costs.  A tasklet gets a small root chunk from the block arena instead,
# or one the size its function needed before (chunk_hint.h); frames that do
# not fit overflow into chunks CPython allocates and frees itself.

import os

cdef extern from "chunk_hint.h":
    int actors_hints_seen
    void actors_chunk_hint_init()
    size_t actors_chunk_bytes(actors_chunk *c)
    void actors_chunk_set_bytes(actors_chunk *c, size_t size)
    size_t actors_chunk_hint(PyObject *fn)
    void actors_chunk_learn(PyThreadState *ts, actors_chunk *root)

cdef size_t CHUNK_SIZE = int(os.environ.get("ACTORS_CHUNK_SIZE", "512"))
if not 256 <= CHUNK_SIZE <= (NCLASSES << CLASS_SHIFT):
    raise ImportError("ACTORS_CHUNK_SIZE must be from 256 to %d bytes"
                      % (NCLASSES << CLASS_SHIFT))
CHUNK_SIZE = block_size(CHUNK_SIZE)
actors_chunk_hint_init()


cdef inline size_t chunk_size_for(PyObject *fn) noexcept:
    """Bytes for the root chunk of a tasklet that starts by calling fn."""
    cdef size_t hint = actors_chunk_hint(fn)
    return CHUNK_SIZE if hint <= CHUNK_SIZE else block_size(hint)


cdef inline actors_chunk *chunk_alloc(size_t size) noexcept:
    return <actors_chunk *>block_alloc(size)


cdef inline void chunk_free(actors_chunk *c) noexcept:
    block_free(c, actors_chunk_bytes(c))
