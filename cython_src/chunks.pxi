# Frame-stack chunks.  CPython 3.11+ gives every new frame stack a 16 KiB
# chunk from mmap: that, not the C stack, is most of what a parked greenlet
# costs.  A tasklet gets a small root chunk from this pool instead; frames
# that do not fit overflow into chunks CPython allocates and frees itself.

import os

cdef size_t CHUNK_SIZE = int(os.environ.get("ACTORS_CHUNK_SIZE", "512"))
if CHUNK_SIZE < 256:
    raise ImportError("ACTORS_CHUNK_SIZE must be at least 256 bytes")
cdef size_t CHUNK_POOL_MAX = 4096
cdef _PyStackChunk *chunk_pool = NULL
cdef size_t chunk_pool_len = 0


cdef _PyStackChunk *chunk_alloc() noexcept:
    global chunk_pool, chunk_pool_len
    cdef _PyStackChunk *c = chunk_pool
    if c != NULL:
        chunk_pool = c.previous
        chunk_pool_len -= 1
        return c
    return <_PyStackChunk *>PyMem_RawMalloc(CHUNK_SIZE)


cdef void chunk_free(_PyStackChunk *c) noexcept:
    global chunk_pool, chunk_pool_len
    if chunk_pool_len >= CHUNK_POOL_MAX:
        PyMem_RawFree(c)
        return
    c.previous = chunk_pool
    chunk_pool = c
    chunk_pool_len += 1
