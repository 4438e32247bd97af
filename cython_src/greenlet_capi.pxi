# greenlet's C API: the capsule "greenlet._C_API" that greenlet.h's
# PyGreenlet_Import() loads, a table of twelve pointers in the order that
# header numbers them (PyGreenlet_Type_NUM ... PyGreenlet_GET_PARENT_NUM).
# C extensions compiled against greenlet's header then run on
# actors.greenlet when it is aliased as greenlet (actors/greenlet.py
# exports the capsule).  Each entry does what the Python-level operation
# does: the same results, errors and messages.  The table's type is the
# greenlet subtype (PyGreenlet_New makes those, and PyArg_Parse's "O!"
# names it in errors); the functions take any Tasklet, as its methods do.

from cpython.pycapsule cimport PyCapsule_New

cdef void *greenlet_api[12]


cdef inline int require_tasklet(PyObject *o) except -1:
    # greenlet's check: PyErr_BadArgument, a TypeError
    if o == NULL or not isinstance(<object>o, Tasklet):
        raise TypeError("bad argument type for built-in operation")
    return 0


cdef object capi_new(PyObject *run, PyObject *parent):
    kwargs = {}
    if run != NULL:
        kwargs["run"] = <object>run
    if parent != NULL:
        kwargs["parent"] = <object>parent
    return greenlet(**kwargs)


cdef object capi_getcurrent():
    return _greenlet_getcurrent()


cdef object capi_throw(PyObject *g, PyObject *typ, PyObject *val,
                       PyObject *tb):
    require_tasklet(g)
    args = (<object>typ if typ != NULL else TaskletExit,
            <object>val if val != NULL else None,
            <object>tb if tb != NULL else None)
    Py_INCREF(<PyObject *>args)           # throw_impl takes this reference
    cdef PyObject *r = throw_impl(<object>g, <PyObject *>args, None)
    if r == NULL:
        raise_current()
    return steal(r)


cdef object capi_switch(PyObject *g, PyObject *args, PyObject *kwargs):
    require_tasklet(g)
    a = <object>args if args != NULL else ()
    if type(a) is not tuple:
        raise TypeError("switch() arguments must be a tuple")
    kw = None
    if kwargs != NULL and isinstance(<object>kwargs, dict) and \
            len(<dict>kwargs):
        kw = <object>kwargs
    Py_INCREF(<PyObject *>a)              # switch_impl takes this reference
    cdef PyObject *r = switch_impl(<object>g, <PyObject *>a, kw)
    if r == NULL:
        raise_current()
    return steal(r)


cdef int capi_set_parent(PyObject *g, PyObject *parent) except -1:
    require_tasklet(g)
    (<object>g).parent = <object>parent if parent != NULL else None
    return 0


cdef int capi_main(PyObject *g) except -1:
    require_tasklet(g)
    return (<TaskletBase>g).c.flags & MAIN != 0


cdef int capi_started(PyObject *g) except -1:
    require_tasklet(g)
    return (<TaskletBase>g).c.flags & STARTED != 0


cdef int capi_active(PyObject *g) except -1:
    # started and not finished: greenlet's "active"
    require_tasklet(g)
    return (<TaskletBase>g).c.stack.start != NULL


cdef PyObject *capi_get_parent(PyObject *g) noexcept:
    # A new reference, or NULL (with no error set) for a main tasklet.
    if g == NULL or not isinstance(<object>g, Tasklet):
        PyErr_BadArgument()
        return NULL
    p = parent_of(<TaskletBase>g)
    if p is None:
        return NULL
    Py_INCREF(<PyObject *>p)
    return <PyObject *>p


cdef extern from *:
    """
    /* A new reference handed back to Cython as an owned object. */
    #define actors_steal(r) (r)
    """
    object steal "actors_steal" (PyObject *r)
    int PyErr_BadArgument()


cdef int raise_current() except -1:
    # an error the switch left set: let Cython propagate it
    return -1


greenlet_api[0] = <void *>greenlet
greenlet_api[1] = <void *>TaskletError
greenlet_api[2] = <void *>TaskletExit
greenlet_api[3] = <void *>capi_new
greenlet_api[4] = <void *>capi_getcurrent
greenlet_api[5] = <void *>capi_throw
greenlet_api[6] = <void *>capi_switch
greenlet_api[7] = <void *>capi_set_parent
greenlet_api[8] = <void *>capi_main
greenlet_api[9] = <void *>capi_started
greenlet_api[10] = <void *>capi_active
greenlet_api[11] = <void *>capi_get_parent

_C_API = PyCapsule_New(<void *>greenlet_api, "greenlet._C_API", NULL)
