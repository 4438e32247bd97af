from typing import Any, Callable, Iterable

from actors._core import Pid, TraceEvent

EVENTS: tuple[str, ...]

class Trace:
    """A running trace: stop() ends it; stopped says why it ended."""
    why: str | None
    @property
    def stopped(self) -> str | None: ...
    def stop(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    def __enter__(self) -> Trace: ...
    def __exit__(self, *exc: object) -> None: ...

def trace(pids: Pid | str | Iterable[Pid | str] | None = None,
          to: Callable[[TraceEvent], object] | Pid | None = None,
          events: Iterable[str] = ..., new: bool = False,
          limit: int | None = 100,
          rate: tuple[int, float] | None = None) -> Trace: ...
