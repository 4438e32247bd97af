# Declarations only: the C pieces the native tasklet core binds (the
# portable ones, which the greenlet-based runtime shares, are portable.pxd's).
from cpython.object cimport PyObject
from portable cimport *

cdef extern from "switch.h":
    ctypedef void *(*actors_save_fn)(void *sp, void *arg) noexcept
    ctypedef void (*actors_restore_fn)(void *arg) noexcept
    int actors_switch_stack(actors_save_fn save, actors_restore_fn restore,
                            void *arg)

cdef extern from "pystate_compat.h":
    int ACTORS_PYSTATE_SUPPORTED
    ctypedef struct actors_anchor:
        pass
    ctypedef struct actors_chunk:
        actors_chunk *previous
    ctypedef struct actors_pystate:
        pass
    void actors_pystate_save(actors_pystate *s, PyThreadState *ts)
    int actors_pystate_tracing(PyThreadState *ts)
    void actors_pystate_restore(actors_pystate *s, PyThreadState *ts,
                                int use_tracing)
    void actors_pystate_start(actors_pystate *s, PyThreadState *ts,
                              int use_tracing, actors_anchor *anchor, actors_chunk *chunk,
                              size_t chunk_size)
    bint actors_pystate_chunk_is_root(PyThreadState *ts, actors_chunk *chunk)
    void actors_pystate_keep_context(actors_pystate *s, PyThreadState *ts)
    void actors_gc_clear_finalized(PyObject *op)
    object actors_pystate_frame(actors_pystate *s, PyThreadState *ts)
    int actors_pystate_traverse(actors_pystate *s, visitproc visit, void *arg)
    void actors_pystate_clear(actors_pystate *s)
    bint actors_pystate_abandon(actors_pystate *s, void *bottom)
    void *actors_pystate_chain_end(PyThreadState *ts)
    void actors_pystate_chain_end_orphan(void *end)
    void actors_pystate_chain_end_free(void *end)
    PyObject **actors_pystate_context(actors_pystate *s)
    PyObject **actors_thread_context(PyThreadState *ts)
    void actors_thread_context_changed(PyThreadState *ts)

cdef extern from *:
    """
    /* switch() and throw() are METH_FASTCALL methods written here: Cython's
     * wrappers would build a kwargs dict on every call, and its error paths
     * would add its own frames to the tracebacks of exceptions that travel
     * between tasklets.  The implementations take over the reference to the
     * argument tuple (kwargs is borrowed, or None) and return a new
     * reference, or NULL with the error set: without keyword arguments the
     * call is a tail call, so a suspended tasklet's saved stack does not
     * hold this wrapper's frame. */
    typedef PyObject *(*actors_method_fn)(PyObject *self, PyObject *args,
                                          PyObject *kwargs);
    static actors_method_fn actors_switch_impl, actors_throw_impl;

    static PyObject *
    actors_call_impl(actors_method_fn impl, PyObject *self,
                     PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
    {
        Py_ssize_t i, nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
        PyObject *tuple, *kwargs, *result;
        if (!(tuple = PyTuple_New(nargs)))
            return NULL;
        for (i = 0; i < nargs; i++) {
            Py_INCREF(args[i]);
            PyTuple_SET_ITEM(tuple, i, args[i]);
        }
        if (!nkw)
            return impl(self, tuple, Py_None);
        if (!(kwargs = PyDict_New())) {
            Py_DECREF(tuple);
            return NULL;
        }
        for (i = 0; i < nkw; i++)
            if (PyDict_SetItem(kwargs, PyTuple_GET_ITEM(kwnames, i),
                               args[nargs + i]) < 0) {
                Py_DECREF(tuple);
                Py_DECREF(kwargs);
                return NULL;
            }
        result = impl(self, tuple, kwargs);
        Py_DECREF(kwargs);
        return result;
    }

    static PyObject *
    actors_switch_fastcall(PyObject *self, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames)
    {
        return actors_call_impl(actors_switch_impl, self, args, nargs, kwnames);
    }

    static PyObject *
    actors_throw_fastcall(PyObject *self, PyObject *const *args,
                          Py_ssize_t nargs, PyObject *kwnames)
    {
        return actors_call_impl(actors_throw_impl, self, args, nargs, kwnames);
    }

    static PyMethodDef actors_methods[] = {
        {"switch", (PyCFunction)(void (*)(void))actors_switch_fastcall,
         METH_FASTCALL | METH_KEYWORDS,
         "switch(*args, **kwargs): run this tasklet, passing it args; they "
         "become the return value of the switch() that suspended it, or the "
         "arguments of run()."},
        {"throw", (PyCFunction)(void (*)(void))actors_throw_fastcall,
         METH_FASTCALL | METH_KEYWORDS,
         "throw(typ=TaskletExit, val=None, tb=None): raise an exception in "
         "this tasklet where it is suspended (at once, if it never ran) and "
         "switch to it."},
        {NULL}};

    static int
    actors_install_methods(PyTypeObject *type, actors_method_fn switch_impl,
                           actors_method_fn throw_impl)
    {
        PyMethodDef *def;
        actors_switch_impl = switch_impl;
        actors_throw_impl = throw_impl;
        for (def = actors_methods; def->ml_name; def++) {
            PyObject *descr = PyDescr_NewMethod(type, def);
            int r;
            if (!descr)
                return -1;
            r = PyDict_SetItemString(type->tp_dict, def->ml_name, descr);
            Py_DECREF(descr);
            if (r < 0)
                return -1;
        }
        PyType_Modified(type);
        return 0;
    }
    """
    ctypedef PyObject *(*actors_method_fn)(PyObject *, PyObject *, PyObject *)
    int actors_install_methods(PyTypeObject *type, actors_method_fn switch_impl,
                               actors_method_fn throw_impl) except -1
