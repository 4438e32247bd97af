/* deque.append and deque.popleft called as the C functions behind them.
 *
 * Cython looks a method of a non-builtin-typed object up by name on every
 * call; for the run queue and the mailboxes that lookup was a sixth of a
 * message's cost in a ping-pong.  The functions are taken once from the
 * method descriptors (if they are the METH_O / METH_NOARGS C functions
 * expected, else the ordinary call is kept), and used only on exact
 * deques, which the core creates itself. */
#ifndef ACTORS_DEQUE_FAST_H
#define ACTORS_DEQUE_FAST_H

#include <Python.h>

static PyCFunction actors_dq_append_f, actors_dq_popleft_f;

static PyCFunction actors_dq_method(PyObject *type, const char *name, int flags)
{
    PyCFunction f = NULL;
    PyObject *d = PyObject_GetAttrString(type, name);
    if (d == NULL) {
        PyErr_Clear();
        return NULL;
    }
#ifndef PYPY_VERSION   /* cpyext's descriptors are not CPython's */
    if (Py_IS_TYPE(d, &PyMethodDescr_Type)) {
        PyMethodDef *def = ((PyMethodDescrObject *)d)->d_method;
        if ((def->ml_flags & ~METH_COEXIST) == flags)
            f = def->ml_meth;
    }
#endif
    Py_DECREF(d);
    return f;
}

static void actors_dq_init(PyObject *deque_type)
{
    actors_dq_append_f = actors_dq_method(deque_type, "append", METH_O);
    actors_dq_popleft_f = actors_dq_method(deque_type, "popleft", METH_NOARGS);
}

/* 0, or -1 with an exception set. */
static inline int actors_dq_append(PyObject *dq, PyObject *item)
{
    PyObject *r = actors_dq_append_f ? actors_dq_append_f(dq, item)
                                     : PyObject_CallMethod(dq, "append", "O", item);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* A new reference, or NULL with an exception set (IndexError if empty). */
static inline PyObject *actors_dq_popleft(PyObject *dq)
{
    return actors_dq_popleft_f ? actors_dq_popleft_f(dq, NULL)
                               : PyObject_CallMethod(dq, "popleft", NULL);
}

/* len(dq) of an exact deque: its size field (no call). */
static inline Py_ssize_t actors_dq_len(PyObject *dq)
{
#ifndef PYPY_VERSION
    return Py_SIZE(dq);
#else
    return PyObject_Size(dq);
#endif
}

#endif
