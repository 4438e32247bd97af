# Frame-stack chunks.  CPython 3.11+ gives every new frame stack a 16 KiB
# chunk from mmap: that, not the C stack, is most of what a parked greenlet
# costs.  A tasklet gets a small root chunk from the block arena instead;
# frames that do not fit overflow into chunks CPython allocates and frees
# itself.

import os

cdef size_t CHUNK_SIZE = int(os.environ.get("ACTORS_CHUNK_SIZE", "512"))
if not 256 <= CHUNK_SIZE <= (NCLASSES << CLASS_SHIFT):
    raise ImportError("ACTORS_CHUNK_SIZE must be from 256 to %d bytes"
                      % (NCLASSES << CLASS_SHIFT))
CHUNK_SIZE = block_size(CHUNK_SIZE)


cdef inline actors_chunk *chunk_alloc() noexcept:
    return <actors_chunk *>block_alloc(CHUNK_SIZE)


cdef inline void chunk_free(actors_chunk *c) noexcept:
    block_free(c, CHUNK_SIZE)
