/* The per-tasklet slice of CPython's thread state: one header per version.
 *
 * A tasklet owns its own Python frame stack, recursion depth, exception
 * stack and context; these live in PyThreadState and are swapped on every
 * switch.  Everything that touches PyThreadState fields lives in
 * pystate_pyXY.h, written from that version's Include/cpython/pystate.h and
 * Include/internal headers; supporting a new CPython is one more branch
 * below.  What the versions share is written once, in two headers the
 * version headers include:
 *
 *   pystate_common.h  the parts every version does alike with fields of
 *                     the same name (frame memory, exception stack,
 *                     context, GC support)
 *   pystate_frames.h  3.12 and later: hiding a suspended tasklet's entry
 *                     frames, which live on its C stack, from introspection
 *
 * Each version header defines:
 *
 *   ACTORS_PYSTATE_SUPPORTED  1
 *   actors_anchor    what a starting tasklet keeps on its own C stack
 *                    (3.11/3.12: its _PyCFrame)
 *   actors_chunk     CPython's _PyStackChunk
 *   actors_pystate   the saved fields of a suspended tasklet
 *   actors_pystate_save(s, ts)        running context leaves: ts -> s
 *   actors_pystate_tracing(ts)        the thread's tracing flag, read
 *                                     before a switch (0 where not kept)
 *   actors_pystate_restore(s, ts, t)  s -> ts for the context resumed
 *   actors_pystate_start(s, ts, t, anchor, chunk, size)
 *                    state for a tasklet's first frame: empty frame stack
 *                    in chunk, the starter's recursion depth, no exception
 *   actors_pystate_keep_context(s, ts)   a finished tasklet keeps its context
 *   actors_pystate_chunk_is_root(ts, chunk)  its frame stack is empty again
 *   actors_pystate_frame(s, ts)       top frame object of a suspended tasklet
 *   actors_pystate_traverse / _clear  GC support for the references in s
 *   actors_pystate_context(s), actors_thread_context(ts),
 *   actors_thread_context_changed(ts)
 *   actors_gc_clear_finalized(op)     let a resurrected object finalize again
 */
#ifndef ACTORS_PYSTATE_COMPAT_H
#define ACTORS_PYSTATE_COMPAT_H

#include <Python.h>
#include <frameobject.h>

/* The fields of actors_pystate every version keeps the same way, last in
 * each version's struct; pystate_common.h saves and restores them. */
#define ACTORS_PYSTATE_COMMON_FIELDS                                        \
    _PyStackChunk *datastack_chunk;   /* the limit is derived from it */    \
    PyObject **datastack_top;                                               \
    _PyErr_StackItem *exc_info;       /* NULL: the base item below */       \
    PyObject *exc_value;              /* of the tasklet's base item, whose  \
                                         previous_item is always NULL */    \
    PyObject *context;                /* strong reference or NULL */

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#include "pystate_py311.h"
#elif PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
#include "pystate_py312.h"
#elif PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
#include "pystate_py313.h"
#elif PY_VERSION_HEX >= 0x030E0000 && PY_VERSION_HEX < 0x030F0000 && !defined(Py_GIL_DISABLED)
#include "pystate_py314.h"
#elif PY_VERSION_HEX >= 0x030F0000 && PY_VERSION_HEX < 0x03100000 && !defined(Py_GIL_DISABLED)
#include "pystate_py315.h"
#else
/* Not a CPython this core knows: the module refuses to import (see
 * _tasklet.pyx) and these never run; they only let the module compile. */
#define ACTORS_PYSTATE_SUPPORTED 0
typedef struct { PyObject *context; } actors_pystate;
typedef struct { int unused; } actors_anchor;
typedef struct actors_chunk { struct actors_chunk *previous; } actors_chunk;
#define actors_pystate_save(s, ts) Py_FatalError("actors: unsupported CPython")
#define actors_pystate_tracing(ts) 0
#define actors_pystate_restore(s, ts, t) Py_FatalError("actors: unsupported CPython")
#define actors_pystate_start(s, ts, t, a, c, n) Py_FatalError("actors: unsupported CPython")
#define actors_pystate_chunk_is_root(ts, c) 0
#define actors_pystate_keep_context(s, ts) ((void)0)
#define actors_gc_clear_finalized(op) ((void)0)
#define actors_pystate_frame(s, ts) (Py_FatalError("actors: unsupported CPython"), NULL)
#define actors_pystate_traverse(s, v, a) 0
#define actors_pystate_clear(s) ((void)0)
#define actors_pystate_abandon(s, b) 0
#define actors_pystate_chain_end(ts) NULL
#define actors_pystate_chain_end_orphan(end) ((void)(end))
#define actors_pystate_chain_end_free(end) ((void)(end))
static inline PyObject **actors_pystate_context(actors_pystate *s) { return &s->context; }
static inline PyObject **actors_thread_context(PyThreadState *ts) { (void)ts; return NULL; }
static inline void actors_thread_context_changed(PyThreadState *ts) { (void)ts; }
#endif

#endif
