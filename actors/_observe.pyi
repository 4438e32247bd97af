import signal
from dataclasses import dataclass
from typing import IO, Any
import traceback

from actors._core import Pid

@dataclass(frozen=True)
class ActorInfo:
    """What one actor is doing: see actors.info()."""
    pid: Pid
    name: str | None
    initial: str
    status: str
    function: str | None
    file: str | None
    line: int | None
    mailbox: int
    reductions: int
    memory: int
    memory_detail: dict[str, int]
    links: list[Pid] = ...
    monitors: list[Pid] = ...
    monitored_by: list[Pid] = ...
    trap_exits: bool = False
    supervisor: Pid | None = None
    groups: list[Any] = ...
    names: list[str] = ...
    age: float = 0.0
    asking: Pid | None = None

def processes() -> list[Pid]: ...
def info(pid: Pid | str, timeout: float = 5.0) -> ActorInfo | None: ...
def stack(pid: Pid | str, timeout: float = 5.0) -> traceback.StackSummary | None: ...
def stacks() -> list[Any]: ...
def dump(file: IO[str] | None = None, examples: int = 3) -> int: ...
def dump_on_signal(signum: int = ..., file: IO[str] | None = None) -> None: ...
