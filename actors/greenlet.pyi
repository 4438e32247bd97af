# actors.greenlet: greenlet's module surface over actors' tasklets.
from typing import Final

from actors._core import (
    Tasklet as greenlet,
    TaskletError as error,
    TaskletExit as GreenletExit,
    getcurrent as getcurrent,
    gettrace as gettrace,
    settrace as settrace,
)

__version__: Final[str]
__all__ = ["__version__", "greenlet", "getcurrent", "GreenletExit", "error",
           "settrace", "gettrace"]

GREENLET_USE_GC: Final[bool]
GREENLET_USE_TRACING: Final[bool]
GREENLET_USE_CONTEXT_VARS: Final[bool]
GREENLET_USE_STANDARD_THREADING: Final[bool]
CLOCKS_PER_SEC: Final[int]

def enable_optional_cleanup(enabled: bool) -> None: ...
def get_clocks_used_doing_optional_cleanup() -> int | None: ...
