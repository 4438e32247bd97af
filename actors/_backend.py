"""Pick the tasklet backend: the native core, or the greenlet package.

ACTORS_BACKEND=native|greenlet chooses; unset, the native core is used when
it was built and supports this interpreter, else greenlet (with a warning).
"""
import os
import warnings

_choice = os.environ.get("ACTORS_BACKEND", "").strip().lower() or None
if _choice not in (None, "native", "greenlet"):
    raise ImportError("ACTORS_BACKEND must be 'native' or 'greenlet', not %r"
                      % _choice)

_native_error = None
if _choice != "greenlet":
    try:
        import actors._core as _impl
    except ImportError as exc:  # not built, or an interpreter it can't serve
        _native_error = exc
        if _choice == "native":
            raise
        warnings.warn("actors: native core unavailable (%s); using the "
                      "greenlet backend" % exc, RuntimeWarning, stacklevel=2)

if _choice == "greenlet" or _native_error is not None:
    import greenlet as _gl

    BACKEND = "greenlet"
    Tasklet = _gl.greenlet
    TaskletExit = _gl.GreenletExit
    TaskletError = _gl.error
    getcurrent = _gl.getcurrent
    settrace = _gl.settrace
    gettrace = _gl.gettrace
else:
    BACKEND = "native"
    Tasklet = _impl.Tasklet
    TaskletExit = _impl.TaskletExit
    TaskletError = _impl.TaskletError
    getcurrent = _impl.getcurrent
    settrace = _impl.settrace
    gettrace = _impl.gettrace
