"""Drop-in replacement for the ``greenlet`` package, on actors' tasklets.

``from actors import greenlet`` (or ``from actors.greenlet import greenlet,
getcurrent``) gives code written for greenlet the same names.  To run an
existing greenlet program unchanged, alias the module before it imports
greenlet: ``sys.modules["greenlet"] = actors.greenlet``.
"""
import sys as _sys

from actors._backend import (
    TaskletError as error,
    TaskletExit as GreenletExit,
    core as _core,
    gettrace,
    settrace,
)

if hasattr(_core, "_use_greenlet_mains"):
    # The native core: its Tasklet under greenlet's name (type(g).__name__
    # is what greenlet code checks), main tasklets of that type from now
    # on, and greenlet's getcurrent(), which refuses to answer once the
    # interpreter is finalizing.
    greenlet = _core.greenlet
    getcurrent = _core._greenlet_getcurrent
    _C_API = _core._C_API             # greenlet.h's PyGreenlet_Import() table
    _core._use_greenlet_mains()
else:
    # Over the greenlet package: its own.
    greenlet = _core.Tasklet
    getcurrent = _core.getcurrent
    from greenlet import _C_API  # noqa: E402

# The greenlet API this module matches (code checks it to pick features).
__version__ = "3.5.6"

# greenlet's feature flags; callers read them (greenback decides from
# GREENLET_USE_CONTEXT_VARS whether to carry gr_context over).  All hold:
# tasklets are GC-tracked, traced through settrace, switch their own
# contextvars.Context, and run on standard threads.
GREENLET_USE_GC = True
GREENLET_USE_TRACING = True
GREENLET_USE_CONTEXT_VARS = True
GREENLET_USE_STANDARD_THREADING = True

# C's CLOCKS_PER_SEC, the unit of get_clocks_used_doing_optional_cleanup().
CLOCKS_PER_SEC = 1000 if _sys.platform == "win32" else 1000000

_optional_cleanup = True


def enable_optional_cleanup(enabled):
    """greenlet's switch for its gc pass over dead threads' greenlets;
    actors has no such pass (a thread's state goes with the thread), so
    this only records the setting."""
    global _optional_cleanup
    _optional_cleanup = bool(enabled)


def get_clocks_used_doing_optional_cleanup():
    """Clock ticks spent in the optional cleanup: none (None if disabled,
    as greenlet reports it)."""
    return 0 if _optional_cleanup else None


__all__ = ["__version__", "greenlet", "getcurrent", "GreenletExit", "error",
           "settrace", "gettrace"]
