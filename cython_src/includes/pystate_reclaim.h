/* Reclaiming a tasklet left suspended by a thread that has ended, CPython
 * 3.11-3.13 (3.14+: actors_pystate_abandon in pystate_py314.h).  Included
 * at the end of pystate_py311.h, pystate_py312.h and pystate_py313.h.
 *
 * The tasklet can never run again: its C stack went with its thread.  What
 * it still owns is what its interpreter frames hold, and the memory they
 * live in (its frame-stack chunks).  actors_pystate_abandon releases the
 * frames as CPython does when it pops one (Python/frame.c,
 * _PyFrame_Clear / _PyFrame_ClearExceptCode), so that the tasklet is freed
 * with its chunks and its saved C-stack slice:
 *
 *  - a frame whose frame object someone else holds (gr_frame, a traceback,
 *    another frame's f_back) first moves into that frame object, which owns
 *    a copy of it from then on, linked to the frame below by f_back rather
 *    than `previous` (CPython's take_ownership, written here from its
 *    description: copy up to the stack top, owner FRAME_OWNED_BY_FRAME_OBJECT,
 *    f_back made from the previous complete frame, GC-tracked).  Done from
 *    the top down, because making f_back creates the frame object of the
 *    frame below, which is then held too;
 *  - every other frame drops its locals, its value stack, f_locals, its
 *    function and code object.
 *
 * The value stack is the hard part: a frame that made a call through C
 * has stacktop == -1 before 3.14 (the eval loop keeps the stack pointer in
 * a C local), only a frame that pushed a Python frame inline stores it.
 * For those frames the depth at the instruction they are suspended in is
 * computed by actors/_stack_depth.py (Python, run first, while nothing has
 * changed and the GIL is held in a live thread); where it is not known to
 * hold only owned references, the frame's value stack is leaked (its
 * locals are still released): never release what the frame may not own.
 *
 * Refused, changing nothing (the tasklet is then kept, as before): a
 * generator's or coroutine's frame in the chain.  That generator is
 * executing, its frame lives in the generator object, and finishing it
 * would need the generator's own clean-up; 3.14's version refuses too. */
#ifndef ACTORS_PYSTATE_RECLAIM_H
#define ACTORS_PYSTATE_RECLAIM_H

#if PY_VERSION_HEX < 0x030C0000
#define ACTORS_RECLAIM_TOP(s) ((s)->current_frame)
#define ACTORS_FRAME_FUNC(f) ((f)->f_func)
#define ACTORS_FRAME_CODEREF(f) ((f)->f_code)     /* the strong reference */
#define ACTORS_FRAME_INSTR(f) ((f)->prev_instr)
#elif PY_VERSION_HEX < 0x030D0000
#define ACTORS_RECLAIM_TOP(s) ((s)->frames.top)
#define ACTORS_FRAME_FUNC(f) ((f)->f_funcobj)
#define ACTORS_FRAME_CODEREF(f) ((f)->f_code)
#define ACTORS_FRAME_INSTR(f) ((f)->prev_instr)
#else
#define ACTORS_RECLAIM_TOP(s) ((s)->frames.top)
#define ACTORS_FRAME_FUNC(f) ((f)->f_funcobj)
#define ACTORS_FRAME_CODEREF(f) ((f)->f_executable)
#define ACTORS_FRAME_INSTR(f) ((f)->instr_ptr)
#endif
#define ACTORS_FRAME_CODE(f) ((PyCodeObject *)ACTORS_FRAME_CODEREF(f))

/* actors._stack_depth.depth_at(code, offset): the depth, or -1.  Any
 * exception (the import failing at shutdown, say) means -1; the one being
 * handled by the caller, if any, is kept. */
static inline int
actors_reclaim_depth(PyCodeObject *code, Py_ssize_t offset)
{
    static PyObject *depth_at = NULL;
    PyObject *type, *value, *tb, *r;
    long d = -1;
    PyErr_Fetch(&type, &value, &tb);
    if (depth_at == NULL) {
        PyObject *m = PyImport_ImportModule("actors._stack_depth");
        if (m != NULL) {
            depth_at = PyObject_GetAttrString(m, "depth_at");
            Py_DECREF(m);
        }
    }
    if (depth_at != NULL) {
        r = PyObject_CallFunction(depth_at, "On", (PyObject *)code, offset);
        if (r != NULL) {
            d = PyLong_AsLong(r);
            Py_DECREF(r);
        }
    }
    if (PyErr_Occurred()) {
        PyErr_Clear();
        d = -1;
    }
    PyErr_Restore(type, value, tb);
    return d < 0 || d > code->co_stacksize ? -1 : (int)d;
}

/* Frame object fo, which others hold, takes over interpreter frame f: it
 * owns a copy of f (and f's references) from now on.  f is left marked
 * FRAME_OWNED_BY_FRAME_OBJECT: nothing of it is to be released. */
static inline void
actors_reclaim_take_ownership(PyFrameObject *fo, struct _PyInterpreterFrame *f)
{
    struct _PyInterpreterFrame *copy =
        (struct _PyInterpreterFrame *)fo->_f_frame_data;
    PyCodeObject *code = ACTORS_FRAME_CODE(f);
    if (fo->f_back == NULL) {
        /* Made while fo->f_frame is still f, whose `previous` leads to
         * the frame below (the first complete one). */
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        fo->f_back = PyFrame_GetBack(fo);
        if (fo->f_back == NULL)
            PyErr_Clear();               /* out of memory: no f_back */
        PyErr_Restore(type, value, tb);
    }
    f->frame_obj = NULL;                 /* f's reference moves to nobody: */
    memcpy(copy, f, (char *)&f->localsplus[f->stacktop] - (char *)f);
    copy->owner = FRAME_OWNED_BY_FRAME_OBJECT;
    copy->previous = NULL;
    copy->frame_obj = NULL;              /* as CPython's copies */
    if (_PyFrame_IsIncomplete(copy))     /* "pretend the first RESUME ran" */
#if PY_VERSION_HEX < 0x030D0000
        copy->prev_instr = _PyCode_CODE(code) + code->_co_firsttraceable;
#else
        copy->instr_ptr = _PyCode_CODE(code) + code->_co_firsttraceable + 1;
#endif
    fo->f_frame = copy;
    f->owner = FRAME_OWNED_BY_FRAME_OBJECT;
    if (!PyObject_GC_IsTracked((PyObject *)fo))
        PyObject_GC_Track((PyObject *)fo);
    Py_DECREF(fo);                       /* ...dropped here (others hold fo) */
}

static inline int
actors_pystate_abandon(actors_pystate *s, void *bottom)
{
    struct _PyInterpreterFrame *top = ACTORS_RECLAIM_TOP(s), *f, *next;
    for (f = top; f != NULL && (void *)f != bottom; f = f->previous)
        if (f->owner != FRAME_OWNED_BY_THREAD)
            return 0;
    /* 1. Each frame's stack top (Python runs here; nothing changed yet,
     * and nothing that runs can reach these frames but through frame
     * objects, which read only their locals).  Unknown depth: the locals
     * only, the value stack's references are leaked. */
    for (f = top; f != NULL && (void *)f != bottom; f = f->previous) {
        if (f->stacktop < 0) {
            PyCodeObject *code = ACTORS_FRAME_CODE(f);
            Py_ssize_t offset = (Py_ssize_t)sizeof(_Py_CODEUNIT) *
                (ACTORS_FRAME_INSTR(f) - _PyCode_CODE(code));
            int depth = offset < 0 ? -1 : actors_reclaim_depth(code, offset);
            f->stacktop = code->co_nlocalsplus + (depth < 0 ? 0 : depth);
        }
    }
    /* Nothing shows these frames from now on (gr_frame is None). */
    ACTORS_RECLAIM_TOP(s) = NULL;
    s->current_frame = NULL;
#if PY_VERSION_HEX < 0x030C0000
    s->cframe = NULL;                    /* it was on the dead C stack */
#else
    s->frames.nrelinks = 0;              /* never put back */
#endif
    /* 2. Frame objects that others hold take their frames over, top down
     * (making one's f_back makes the next one's frame object). */
    for (f = top; f != NULL && (void *)f != bottom; f = f->previous) {
        PyFrameObject *fo = f->frame_obj;
        if (fo != NULL && Py_REFCNT(fo) > 1)
            actors_reclaim_take_ownership(fo, f);
    }
    /* 3. Release the rest, as _PyFrame_Clear does.  This runs finalizers,
     * which cannot reach these frames any more (step 2). */
    for (f = top; f != NULL && (void *)f != bottom; f = next) {
        int i;
        next = f->previous;
        if (f->owner == FRAME_OWNED_BY_FRAME_OBJECT)
            continue;
        if (f->frame_obj != NULL) {      /* only f holds it */
            PyFrameObject *fo = f->frame_obj;
            /* Its dealloc may be deferred by the trashcan past the free of
             * the chunks below, and reads fo->f_frame->owner: point it at
             * its own (cleared) frame data, as CPython does with a frame
             * object it throws away (GH-97002, GH-106092). */
            f->frame_obj = NULL;
            fo->f_frame = (struct _PyInterpreterFrame *)fo->_f_frame_data;
            fo->f_frame->owner = FRAME_CLEARED;
            Py_DECREF(fo);
        }
        for (i = 0; i < f->stacktop; i++)
            Py_CLEAR(f->localsplus[i]);
        f->stacktop = 0;
        Py_CLEAR(f->f_locals);
        Py_CLEAR(ACTORS_FRAME_FUNC(f));
        Py_CLEAR(ACTORS_FRAME_CODEREF(f));
    }
    actors_pystate_free_overflow_chunks(s);
    return 1;
}

#endif
