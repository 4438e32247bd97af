/* actors_call_start(f, args, kwargs): call a tasklet's or an actor's first
 * function, as PyObject_Call(f, args, kwargs) does.
 *
 * Whatever C frames sit between our code and the interpreter's loop while
 * that function runs are saved with every suspended tasklet.  On CPython
 * 3.14+ a call into a Python function goes through _PyEval_Vector, whose
 * frame holds an 8-entry argument array and stays on the stack for the whole
 * call: 176 bytes of every parked tasklet's slice (gcc 15, 3.15.2).  For a
 * plain Python function called with a few positional arguments, this pushes
 * the interpreter frame in a helper that returns first, then tail-calls the
 * loop: no frame of ours or of _PyEval_Vector stays below the loop's.  What
 * runs is what _PyFunction_Vectorcall would run (the same exported
 * _PyEvalFramePushAndInit, the same PEP 523 check in _PyEval_EvalFrame).
 * Anything else (a function whose vectorcall was replaced, keywords, a
 * builtin, a bound method, older CPythons, the greenlet-backed core) takes
 * PyObject_Call.
 */
#ifndef ACTORS_CALL_START_H
#define ACTORS_CALL_START_H

#include <Python.h>

/* Which CPythons' frames this knows is pystate_compat.h's choice (its
 * version header defines ACTORS_PYSTATE_DIRECT_START), made once there. */
#ifdef ACTORS_NATIVE_CORE
#include "pystate_compat.h"
#endif

#ifdef ACTORS_PYSTATE_DIRECT_START

#include "pycore_begin.h"
#include "internal/pycore_ceval.h"       /* _PyEval_EvalFrame */
#include "internal/pycore_interpframe.h" /* _PyEvalFramePushAndInit */
#include "internal/pycore_stackref.h"    /* PyStackRef_FromPyObjectNew */
#include "pycore_end.h"

#define ACTORS_CALL_START_ARGS 8

/* _PyFunction_Vectorcall is not exported on 3.14: the value a plain
 * function's vectorcall slot holds is read from one (actors_call_start_init). */
static vectorcallfunc actors_function_vectorcall;

static void
actors_call_start_init(PyObject *plain_function)
{
    actors_function_vectorcall =
        ((PyFunctionObject *)plain_function)->vectorcall;
}

/* The interpreter frame of f(*args), pushed on the thread's frame stack;
 * NULL with an exception set.  Its own frame is gone once it returns. */
static __attribute__((noinline)) _PyInterpreterFrame *
actors_start_frame(PyThreadState *ts, PyFunctionObject *f, PyObject *args)
{
    _PyStackRef stack[ACTORS_CALL_START_ARGS];
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    PyObject *locals = NULL;
    if (!(((PyCodeObject *)f->func_code)->co_flags & CO_OPTIMIZED))
        locals = Py_NewRef(f->func_globals);     /* as _PyFunction_Vectorcall */
    for (Py_ssize_t i = 0; i < n; i++)
        stack[i] = PyStackRef_FromPyObjectNew(PyTuple_GET_ITEM(args, i));
    /* Takes the references to f, locals and the arguments. */
    return _PyEvalFramePushAndInit(ts, PyStackRef_FromPyObjectNew((PyObject *)f),
                                   locals, stack, (size_t)n, NULL, NULL);
}

static __attribute__((noinline)) PyObject *
actors_call_start(PyObject *f, PyObject *args, PyObject *kwargs)
{
    PyThreadState *ts;
    _PyInterpreterFrame *frame;
    if (!PyFunction_Check(f) || !PyTuple_Check(args)
        || ((PyFunctionObject *)f)->vectorcall != actors_function_vectorcall
        || PyTuple_GET_SIZE(args) > ACTORS_CALL_START_ARGS
        || (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0))
        return PyObject_Call(f, args, kwargs);
    ts = PyThreadState_Get();
    frame = actors_start_frame(ts, (PyFunctionObject *)f, args);
    if (frame == NULL)
        return NULL;
    return _PyEval_EvalFrame(ts, frame, 0);     /* a tail call */
}

#else

#define actors_call_start_init(plain_function) ((void)(plain_function))
#define actors_call_start(f, args, kwargs) PyObject_Call(f, args, kwargs)

#endif
#endif /* ACTORS_CALL_START_H */
