# Small blocks for frame-stack chunks and saved stack slices, carved from
# 2 MiB regions: a block is reused from its size class's free list without
# a trip through malloc.  Freed blocks stay in the lists (like pymalloc's
# pools), so a second million tasklets costs no new memory.  The regions are
# not marked for transparent huge pages (MADV_HUGEPAGE): on a VM a huge page
# the host has not backed yet populates in ~5 ms against ~0.7 ms for 2 MiB
# of 4 KiB pages (which the kernel mostly recycles while they are hot), and
# hot and cold huge pages alternate within a run, so a million parked
# tasklets took 0.41 to 3.0 us each from run to run, against a steady
# 0.70 us without (no compaction stalls were counted in those runs).
# Callers hold the GIL and pass the size back when freeing.
# ACTORS_ARENA=0 sends every block to malloc, so that valgrind and
# AddressSanitizer see each block's bounds.

import os

cdef extern from *:
    """
    #include <stdlib.h>
    #ifdef __linux__
    #include <sys/mman.h>
    #endif
    /* A region whose pages are all mapped at once (Linux: one mmap call
       with MAP_POPULATE, not a page fault for every 4 KiB a tasklet
       touches first). */
    static void *actors_region_alloc(size_t size)
    {
        void *p = NULL;
    #if defined(__linux__) && defined(MAP_POPULATE)
        p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
        if (p != MAP_FAILED)
            return p;
        p = NULL;
    #endif
        if (posix_memalign(&p, 4096, size) != 0)
            return NULL;
        return p;
    }
    """
    void *actors_region_alloc(size_t size)

cdef enum:
    REGION_SIZE = 2 << 20
    CLASS_SHIFT = 5                     # size classes of 32 bytes ...
    NCLASSES = 128                      # ... up to 4 KiB; larger from malloc

cdef void *free_blocks[NCLASSES + 1]
cdef char *region_next = NULL
cdef char *region_end = NULL
cdef size_t blocks_in_use = 0
cdef size_t regions = 0
cdef bint use_arena = os.environ.get("ACTORS_ARENA", "1") != "0"


cdef inline size_t block_class(size_t size) noexcept:
    return (size + (1 << CLASS_SHIFT) - 1) >> CLASS_SHIFT


cdef inline size_t block_size(size_t size) noexcept:
    """What a request of `size` bytes really gets."""
    cdef size_t c = block_class(size)
    return c << CLASS_SHIFT if c <= NCLASSES else size


cdef void *block_alloc(size_t size) noexcept:
    global region_next, region_end, blocks_in_use, regions
    cdef size_t c = block_class(size)
    cdef void *p
    if c > NCLASSES or not use_arena:
        p = PyMem_RawMalloc(block_size(size))
    elif free_blocks[c] != NULL:
        p = free_blocks[c]
        free_blocks[c] = (<void **>p)[0]
    else:
        if region_next + (c << CLASS_SHIFT) > region_end:
            region_next = <char *>actors_region_alloc(REGION_SIZE)
            if region_next == NULL:
                region_end = NULL
                return NULL
            region_end = region_next + REGION_SIZE
            regions += 1
        p = region_next
        region_next += c << CLASS_SHIFT
    if p != NULL:
        blocks_in_use += 1
    return p


cdef void block_free(void *p, size_t size) noexcept:
    global blocks_in_use
    cdef size_t c = block_class(size)
    if p == NULL:
        return
    blocks_in_use -= 1
    if c > NCLASSES or not use_arena:
        PyMem_RawFree(p)
    else:
        (<void **>p)[0] = free_blocks[c]
        free_blocks[c] = p


# CPython's own frame-stack chunks.  When a tasklet's frames outgrow its
# small root chunk, CPython maps a 16 KiB chunk and unmaps it when the frame
# returns: an actor whose calls cross that line does an mmap and a munmap
# per call.  CPython takes these chunks from the object arena allocator, so
# a wrapper around that allocator keeps a few of them for reuse; every
# other request goes to the allocator it wraps.
cdef extern from *:
    """
    #define ACTORS_CHUNK_CACHE_MAX 256
    static PyObjectArenaAllocator actors_arena_prev;
    static void *actors_chunk_cache[ACTORS_CHUNK_CACHE_MAX];
    static int actors_chunk_cache_len;

    static void *actors_arena_alloc(void *ctx, size_t size)
    {
        if (size == 16384 && actors_chunk_cache_len)
            return actors_chunk_cache[--actors_chunk_cache_len];
        return actors_arena_prev.alloc(actors_arena_prev.ctx, size);
    }

    static void actors_arena_free(void *ctx, void *ptr, size_t size)
    {
        if (size == 16384 && actors_chunk_cache_len < ACTORS_CHUNK_CACHE_MAX) {
            actors_chunk_cache[actors_chunk_cache_len++] = ptr;
            return;
        }
        actors_arena_prev.free(actors_arena_prev.ctx, ptr, size);
    }

    static void actors_install_chunk_cache(void)
    {
        PyObjectArenaAllocator mine = {NULL, actors_arena_alloc,
                                       actors_arena_free};
        PyObject_GetArenaAllocator(&actors_arena_prev);
        PyObject_SetArenaAllocator(&mine);
    }
    """
    void actors_install_chunk_cache()

if use_arena:
    actors_install_chunk_cache()
