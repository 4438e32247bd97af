"""Drop-in replacement for the ``greenlet`` package, on actors' tasklets.

``from actors import greenlet`` (or ``from actors.greenlet import greenlet,
getcurrent``) gives code written for greenlet the same names.
"""
from actors._backend import (
    Tasklet as greenlet,
    TaskletError as error,
    TaskletExit as GreenletExit,
    getcurrent,
    gettrace,
    settrace,
)

__all__ = ["greenlet", "getcurrent", "GreenletExit", "error", "settrace",
           "gettrace"]
