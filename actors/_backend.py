"""Pick the backend: the native core, or the same runtime over greenlet.

Both are the whole product (tasklets and the actor runtime); they differ in
how tasklets switch.  ``core`` is the extension in use:

* ``actors._core``: the native core (heap-sliced C stacks), built when the
  platform has a switch stub and the CPython version a thread-state header;
* ``actors._core_greenlet``: the runtime over the greenlet package, built
  everywhere.

ACTORS_BACKEND=native|greenlet chooses.  Unset, the native core is used when
it was built and imports, else the greenlet runtime: quietly when the build
left the native core out (it printed why; ``native_error`` says it too), with
a RuntimeWarning when a native core that was built refuses to import (it
refuses a CPython other than the one it was built for).
ACTORS_REQUIRE_NATIVE=1 makes any fallback an ImportError instead.
"""
import os
import warnings

_choice = os.environ.get("ACTORS_BACKEND", "").strip().lower() or None
if _choice not in (None, "native", "greenlet"):
    raise ImportError("ACTORS_BACKEND must be 'native' or 'greenlet', not %r"
                      % _choice)


def _not_built_reason():
    try:
        from actors._buildinfo import BUILT
    except ImportError:
        return None
    return None if BUILT.get("native") else BUILT.get("native_why")


native_error = None       # why the native core is not in use, if it is not
if _choice != "greenlet":
    try:
        import actors._core as core
    except ImportError as exc:   # not built, or an interpreter it can't serve
        why = _not_built_reason() if isinstance(exc, ModuleNotFoundError) \
            else None
        native_error = "not built: %s" % why if why else str(exc)
        if _choice == "native":
            raise
        if os.environ.get("ACTORS_REQUIRE_NATIVE") == "1":
            raise ImportError("ACTORS_REQUIRE_NATIVE=1 but the native core is "
                              "unavailable (%s)" % native_error) from exc
        if not why:   # built but refused, or no record of the build
            warnings.warn("actors: native core unavailable (%s); using the "
                          "greenlet runtime (set ACTORS_BACKEND=greenlet to "
                          "choose it quietly)" % native_error,
                          RuntimeWarning, stacklevel=2)
if _choice == "greenlet" or native_error is not None:
    import actors._core_greenlet as core

BACKEND = core.BACKEND
Tasklet = core.Tasklet
TaskletExit = core.TaskletExit
TaskletError = core.TaskletError
getcurrent = core.getcurrent
settrace = core.settrace
gettrace = core.gettrace
