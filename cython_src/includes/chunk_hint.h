/* Root frame-stack chunks sized by what the same function needed before.
 *
 * A tasklet starts with a small root chunk (chunks.pxi).  Frames that do
 * not fit go to a 16 KiB chunk CPython maps itself, and a tasklet parked
 * with frames there keeps at least a page of it resident: a million actors
 * parked a few calls deep would cost ~7 KiB each instead of ~2.  So when a
 * tasklet is suspended with its frames spilled past its root chunk, the
 * room they take is recorded on the code object of its first frame (an
 * integer in PEP 523's co_extra: no reference, nothing to free), and the
 * next tasklet started on that function gets a root chunk of that size.
 * Tasklets that spill only while running (and return before they park)
 * cost nothing resident and teach nothing.
 */
#ifndef ACTORS_CHUNK_HINT_H
#define ACTORS_CHUNK_HINT_H
#include <Python.h>
#include "pystate_compat.h"


#define ACTORS_CHUNK_HINT_MAX 8192  /* past this a root chunk saves nothing */

static Py_ssize_t actors_hint_index = -1;
static int actors_hints_seen;       /* any hint recorded yet: else skip
                                       (the GIL orders these; free-threaded
                                       builds would need atomics) */

#if PY_VERSION_HEX >= 0x030C0000
#define ACTORS_CODE_GET_EXTRA PyUnstable_Code_GetExtra
#define ACTORS_CODE_SET_EXTRA PyUnstable_Code_SetExtra
#define ACTORS_REQUEST_EXTRA PyUnstable_Eval_RequestCodeExtraIndex
#else
#define ACTORS_CODE_GET_EXTRA _PyCode_GetExtra
#define ACTORS_CODE_SET_EXTRA _PyCode_SetExtra
#define ACTORS_REQUEST_EXTRA _PyEval_RequestCodeExtraIndex
#endif

#if ACTORS_PYSTATE_SUPPORTED

static inline void
actors_chunk_hint_init(void)
{
    actors_hint_index = ACTORS_REQUEST_EXTRA(NULL);   /* -1: no hints */
}

/* The bytes a root chunk of ours holds (they were asked for at start). */
static inline size_t
actors_chunk_bytes(actors_chunk *c)
{
    return c->size;
}

static inline void
actors_chunk_set_bytes(actors_chunk *c, size_t size)
{
    c->size = size;
}

static inline PyObject *
actors_callable_code(PyObject *fn)
{
    if (PyMethod_Check(fn))
        fn = PyMethod_GET_FUNCTION(fn);
    return PyFunction_Check(fn) ? PyFunction_GET_CODE(fn) : NULL;
}

/* Root chunk bytes for a tasklet that starts by calling `fn` (a function
 * or a method of one): what an earlier tasklet of it recorded
 * (actors_chunk_learn), else room for its first frame and nothing more:
 * the chunk's header, data[0] (skipped, see actors_common_start), the
 * frame's co_framesize words and one more (CPython pushes a frame only
 * when its top stays strictly below the chunk's limit).  Calls it makes
 * while it runs go to an overflow chunk (arena.pxi keeps a few for reuse).
 * 0 when fn has no code object. */
static inline size_t
actors_chunk_want(PyObject *fn)
{
    PyCodeObject *code;
    void *extra = NULL;
    size_t words;
    if (fn == NULL || (code = (PyCodeObject *)actors_callable_code(fn)) == NULL)
        return 0;
    if (actors_hints_seen) {
        if (ACTORS_CODE_GET_EXTRA((PyObject *)code, actors_hint_index,
                                  &extra) < 0)
            PyErr_Clear();
        else if (extra != NULL)
            return (size_t)(uintptr_t)extra;
    }
#if PY_VERSION_HEX >= 0x030C0000
    words = (size_t)code->co_framesize;
#else   /* 3.11 computes it at each call (_PyEvalFramePushAndInit) */
    words = (size_t)(code->co_nlocalsplus + code->co_stacksize)
            + FRAME_SPECIALS_SIZE;
#endif
    return offsetof(_PyStackChunk, data) + (2 + words) * sizeof(PyObject *);
}

static inline PyObject *
actors_frame_code(struct _PyInterpreterFrame *f)
{
#if PY_VERSION_HEX >= 0x030E0000
    /* A tagged pointer; the tag is in the low bits, below any object's
     * alignment (pycore_stackref.h, not included by 3.14's headers here). */
    return (PyObject *)(f->f_executable.bits & ~(uintptr_t)7);
#elif PY_VERSION_HEX >= 0x030D0000
    return f->f_executable;
#else
    return (PyObject *)f->f_code;
#endif
}

/* Record on code that its tasklets want a root of `need` bytes (hints
 * only grow). */
static inline void
actors_chunk_record(PyObject *code, size_t need)
{
    void *extra = NULL;
    if (ACTORS_CODE_GET_EXTRA(code, actors_hint_index, &extra) < 0) {
        PyErr_Clear();
        return;
    }
    if ((size_t)(uintptr_t)extra >= need)
        return;
    if (ACTORS_CODE_SET_EXTRA(code, actors_hint_index,
                              (void *)(uintptr_t)need) < 0) {
        PyErr_Clear();
        return;
    }
    actors_hints_seen = 1;
}

/* The running tasklet, whose root chunk is `root`, is being suspended with
 * the thread's frame stack in ts: if its frames spilled past the root,
 * record the room they take on its first frame's code object.  If they
 * spilled only while it ran and came back (CPython left the root's `top`
 * set when it pushed a chunk above it), its function calls past its own
 * frame as it works: later tasklets of it get `roomy` bytes (the default
 * root), so that those calls stay in the root. */
static inline void
actors_chunk_learn(PyThreadState *ts, actors_chunk *root, size_t roomy)
{
    _PyStackChunk *c = ts->datastack_chunk, *above = NULL;
    struct _PyInterpreterFrame *first;
    PyObject *code;
    size_t slots, need;
    if (actors_hint_index < 0)
        return;
    if (c == root) {
        if (root->top == 0)
            return;                      /* never left the root */
        root->top = 0;                   /* learnt once (CPython sets it
                                            again when it next spills) */
        if (root->size >= roomy || ts->datastack_top <= &root->data[1])
            return;
        code = actors_frame_code((struct _PyInterpreterFrame *)&root->data[1]);
        if (code != NULL && PyCode_Check(code))
            actors_chunk_record(code, roomy);
        return;
    }
    /* Slots in use: the current chunk up to the top, each one below up to
     * the top CPython recorded in it when it pushed the next. */
    slots = (size_t)(ts->datastack_top - c->data);
    for (; c != NULL && c != root; c = c->previous) {
        if (c != ts->datastack_chunk)
            slots += c->top;
        above = c;
    }
    if (c != root || above == NULL)
        return;                          /* not a chain of ours: leave it */
    slots += root->top;
    /* The first frame: root's data[0] is skipped (see actors_common_start);
     * a first frame too big for the root went to the chunk above. */
    first = (struct _PyInterpreterFrame *)(
        root->top > 1 ? &root->data[1] : &above->data[0]);
    code = actors_frame_code(first);
    if (code == NULL || !PyCode_Check(code))
        return;
    need = offsetof(_PyStackChunk, data) + slots * sizeof(PyObject *);
    need += need / 4;                    /* room for a little variation */
    if (need > ACTORS_CHUNK_HINT_MAX)
        return;
    actors_chunk_record(code, need < roomy ? roomy : need);
}

#else   /* no native interpreter state: no chunks, no hints */
static inline void actors_chunk_hint_init(void) {}
static inline size_t actors_chunk_bytes(actors_chunk *c) { (void)c; return 0; }
static inline void actors_chunk_set_bytes(actors_chunk *c, size_t n) { (void)c; (void)n; }
static inline size_t actors_chunk_want(PyObject *fn) { (void)fn; return 0; }
static inline void actors_chunk_learn(PyThreadState *ts, actors_chunk *r,
                                      size_t roomy)
{ (void)ts; (void)r; (void)roomy; }
#endif

#endif
