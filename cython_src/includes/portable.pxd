# Declarations of the C the actor runtime binds that any CPython (>= 3.11)
# API offers: no interpreter internals, no switch stub.  Both extensions
# cimport it: actors._core (through core.pxd) and actors._core_greenlet.
from cpython.object cimport PyObject

cdef extern from "Python.h":
    ctypedef struct PyThreadState
    ctypedef int (*visitproc)(PyObject *, void *)
    ctypedef int (*traverseproc)(PyObject *, visitproc, void *)
    ctypedef void (*destructor)(PyObject *)
    ctypedef int (*inquiry)(PyObject *)
    ctypedef struct PyTypeObject
    ctypedef PyObject *(*newfunc)(PyTypeObject *, PyObject *, PyObject *)
    ctypedef struct PyTypeObject:
        destructor tp_dealloc
        traverseproc tp_traverse
        inquiry tp_clear
        inquiry tp_is_gc
        newfunc tp_new
        PyObject *tp_dict
        PyTypeObject *tp_base
        unsigned long tp_flags
        Py_ssize_t tp_dictoffset
        Py_ssize_t tp_basicsize
        const char *tp_name
    unsigned long Py_TPFLAGS_HEAPTYPE
    PyTypeObject *Py_TYPE(PyObject *o)
    void Py_SET_REFCNT(PyObject *o, Py_ssize_t n)
    Py_ssize_t Py_REFCNT_PTR "Py_REFCNT" (PyObject *o)
    void PyErr_Fetch(PyObject **t, PyObject **v, PyObject **tb)
    void PyErr_Restore(PyObject *t, PyObject *v, PyObject *tb)
    void PyType_Modified(PyTypeObject *t)
    int PyDict_SetItemString(PyObject *d, const char *k, object v) except -1
    PyThreadState *PyThreadState_Get()
    PyObject *PyThreadState_GetDict()
    void *PyMem_Realloc(void *p, size_t n)
    void PyMem_Free(void *p)
    void *PyMem_RawMalloc(size_t n)
    void PyMem_RawFree(void *p)
    void Py_INCREF(PyObject *)
    Py_ssize_t Py_REFCNT(object o)
    void Py_XDECREF(PyObject *)
    void Py_DECREF(PyObject *)
    void Py_FatalError(const char *msg)
    void PyErr_WriteUnraisable(object obj)

cdef extern from *:
    """
    /* The running thread's switch state; the thread's dict owns it.
     * The compiler's default TLS model for a loadable module
     * (global/local-dynamic): initial-exec would take static TLS, which a
     * module loaded with dlopen() may not get (musl refuses it, glibc can
     * run out of it). */
    static __thread PyObject *actors_tls_thread = NULL;
    static inline PyObject *actors_tls_get(void) { return actors_tls_thread; }
    static inline void actors_tls_set(PyObject *o) { actors_tls_thread = o; }
    """
    PyObject *actors_tls_get()
    void actors_tls_set(PyObject *o)

cdef extern from *:
    """
    /* Raise exc as it is: its own traceback, no implicit chaining to
     * whatever the raising context is handling.  Always returns NULL. */
    static PyObject *
    actors_set_error(PyObject *exc)
    {
        PyObject *type = (PyObject *)Py_TYPE(exc);
        Py_INCREF(type);
        Py_INCREF(exc);
        PyErr_Restore(type, exc, PyException_GetTraceback(exc));
        return NULL;
    }

    /* The exception being raised, taken out of the thread state with its
     * traceback attached; a new reference. */
    static PyObject *
    actors_fetch_error(void)
    {
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (tb)
            PyException_SetTraceback(value, tb);
        Py_XDECREF(type);
        Py_XDECREF(tb);
        return value;
    }

    #define actors_call(f, args, kwargs) PyObject_Call(f, args, kwargs)
    #define actors_getattr(o, name) PyObject_GetAttrString(o, name)
    """
    PyObject *actors_set_error(PyObject *exc)
    PyObject *actors_fetch_error()
    PyObject *actors_call(PyObject *f, PyObject *args, PyObject *kwargs)
    PyObject *actors_getattr(PyObject *o, const char *name)
    PyObject *PyErr_NoMemory()

cdef extern from "call_start.h":
    # PyObject_Call for a tasklet's or an actor's first function, with the
    # fewest C frames left under the interpreter's loop (why: call_start.h).
    PyObject *actors_call_start(PyObject *f, PyObject *args, PyObject *kwargs)
    void actors_call_start_init(object plain_function)
