# The backend in use: both extensions have actors._core's names and types.
from actors import _core as _core_module

core = _core_module
from actors._core import (
    BACKEND as BACKEND,
    Tasklet as Tasklet,
    TaskletError as TaskletError,
    TaskletExit as TaskletExit,
    getcurrent as getcurrent,
    gettrace as gettrace,
    settrace as settrace,
)

native_error: str | None
