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
    /* The running thread's switch state; the thread's dict owns it. */
    static __thread PyObject *actors_tls_thread = NULL;
    static inline PyObject *actors_tls_get(void) { return actors_tls_thread; }
    static inline void actors_tls_set(PyObject *o) { actors_tls_thread = o; }
    """
    PyObject *actors_tls_get()
    void actors_tls_set(PyObject *o)
