# Declarations only: the C pieces the tasklet core binds.
from cpython.object cimport PyObject

cdef extern from "Python.h":
    ctypedef struct PyThreadState
    ctypedef int (*visitproc)(PyObject *, void *)
    ctypedef int (*traverseproc)(PyObject *, visitproc, void *)
    ctypedef struct PyTypeObject:
        traverseproc tp_traverse
    PyThreadState *PyThreadState_Get()
    PyObject *PyThreadState_GetDict()
    void *PyMem_Realloc(void *p, size_t n)
    void PyMem_Free(void *p)
    void *PyMem_RawMalloc(size_t n)
    void PyMem_RawFree(void *p)
    void Py_INCREF(PyObject *)
    void Py_XDECREF(PyObject *)
    void Py_FatalError(const char *msg)
    void PyErr_WriteUnraisable(object obj)

cdef extern from "switch.h":
    ctypedef void *(*actors_save_fn)(void *sp, void *arg) noexcept
    ctypedef void (*actors_restore_fn)(void *arg) noexcept
    int actors_switch_stack(actors_save_fn save, actors_restore_fn restore,
                            void *arg)

cdef extern from "pystate_compat.h":
    int ACTORS_PYSTATE_SUPPORTED
    ctypedef struct _PyCFrame:
        pass
    ctypedef struct _PyStackChunk:
        _PyStackChunk *previous
    ctypedef struct actors_pystate:
        pass
    void actors_pystate_save(actors_pystate *s, PyThreadState *ts)
    int actors_pystate_tracing(PyThreadState *ts)
    void actors_pystate_restore(actors_pystate *s, PyThreadState *ts,
                                int use_tracing)
    void actors_pystate_start(actors_pystate *s, PyThreadState *ts,
                              int use_tracing, _PyCFrame *anchor, _PyStackChunk *chunk,
                              size_t chunk_size)
    bint actors_pystate_chunk_is_root(PyThreadState *ts, _PyStackChunk *chunk)
    object actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
    int actors_pystate_traverse(actors_pystate *s, visitproc visit, void *arg)
    void actors_pystate_clear(actors_pystate *s)
    PyObject **actors_pystate_context(actors_pystate *s)
    PyObject **actors_thread_context(PyThreadState *ts)
    void actors_thread_context_changed(PyThreadState *ts)

cdef extern from *:
    """
    /* The running thread's switch state; the thread's dict owns it.
     * initial-exec: one load instead of a __tls_get_addr call per switch. */
    static __thread PyObject *actors_tls_thread
        __attribute__((tls_model("initial-exec"))) = NULL;
    static inline PyObject *actors_tls_get(void) { return actors_tls_thread; }
    static inline void actors_tls_set(PyObject *o) { actors_tls_thread = o; }
    """
    PyObject *actors_tls_get()
    void actors_tls_set(PyObject *o)

cdef extern from *:
    """
    /* Tasklet.switch(*args, **kwargs) as a METH_FASTCALL method: Cython's own
     * wrapper would build a kwargs dict on every call. */
    typedef PyObject *(*actors_switch_fn)(PyObject *self, PyObject *args,
                                          PyObject *kwargs);
    static actors_switch_fn actors_switch_impl;

    static PyObject *
    actors_switch_fastcall(PyObject *self, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames)
    {
        Py_ssize_t i, nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
        PyObject *tuple, *kwargs = NULL, *result = NULL;
        if (!(tuple = PyTuple_New(nargs)))
            return NULL;
        for (i = 0; i < nargs; i++) {
            Py_INCREF(args[i]);
            PyTuple_SET_ITEM(tuple, i, args[i]);
        }
        if (nkw) {
            if (!(kwargs = PyDict_New()))
                goto done;
            for (i = 0; i < nkw; i++)
                if (PyDict_SetItem(kwargs, PyTuple_GET_ITEM(kwnames, i),
                                   args[nargs + i]) < 0)
                    goto done;
        }
        result = actors_switch_impl(self, tuple, kwargs ? kwargs : Py_None);
    done:
        Py_DECREF(tuple);
        Py_XDECREF(kwargs);
        return result;
    }

    static PyMethodDef actors_switch_def = {
        "switch", (PyCFunction)(void (*)(void))actors_switch_fastcall,
        METH_FASTCALL | METH_KEYWORDS,
        "Run this tasklet, passing it args: they become the return value "
        "of the switch() that suspended it, or the arguments of run()."};

    static int
    actors_install_switch(PyTypeObject *type, actors_switch_fn impl)
    {
        PyObject *descr = PyDescr_NewMethod(type, &actors_switch_def);
        int r;
        if (!descr)
            return -1;
        actors_switch_impl = impl;
        r = PyDict_SetItemString(type->tp_dict, "switch", descr);
        Py_DECREF(descr);
        PyType_Modified(type);
        return r;
    }
    """
    ctypedef PyObject *(*actors_switch_fn)(PyObject *, PyObject *, PyObject *)
    int actors_install_switch(PyTypeObject *type, actors_switch_fn impl) except -1
