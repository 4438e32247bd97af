import logging
from typing import Any, Callable

from actors._core import Pid

log: logging.Logger

class Watchdog:
    """A thread that reports actors holding their scheduler too long."""
    threshold: float
    reports: list[Any]
    def __init__(self, threshold: float = 1.0,
                 on_block: Callable[..., object] | None = None) -> None: ...
    def stop(self) -> None: ...
    def __enter__(self) -> Watchdog: ...
    def __exit__(self, *exc: object) -> None: ...

def watchdog(threshold: float = 1.0,
             on_block: Callable[..., object] | None = None) -> Watchdog: ...
