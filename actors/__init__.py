"""actors: millions of lightweight actors in one Python process."""
from actors._backend import (
    BACKEND,
    Tasklet,
    TaskletError,
    TaskletExit,
    getcurrent,
    gettrace,
    settrace,
)

__all__ = ["BACKEND", "Tasklet", "TaskletError", "TaskletExit", "getcurrent",
           "gettrace", "settrace"]
__version__ = "0.1.0"
