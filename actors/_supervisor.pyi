from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, NamedTuple

from actors._core import Pid

_Restart = Literal["permanent", "transient", "temporary"]
_Shutdown = float | Literal["brutal_kill", "infinity"] | None
# What a supervisor starts: a function, an Actor subclass or a Supervisor.
_Start = Callable[..., object]
_Sup = Pid | str

__all__ = ["ChildSpec", "ChildInfo", "StartError", "Supervisor",
           "SupervisorError"]

class ChildInfo(NamedTuple):
    id: Any
    pid: Pid | None
    restart: _Restart

class SupervisorError(Exception): ...

class StartError(SupervisorError):
    id: Any
    reason: Any
    def __init__(self, id: Any, reason: Any) -> None: ...

class ChildSpec:
    start: _Start
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    id: Any
    restart: _Restart
    shutdown: float | Literal["brutal_kill", "infinity"]
    def __init__(self, start: _Start, args: Iterable[Any] = (),
                 kwargs: Mapping[str, Any] | None = None, id: Any = None,
                 restart: _Restart = "permanent",
                 shutdown: _Shutdown = ...) -> None: ...
    @property
    def is_supervisor(self) -> bool: ...

class Supervisor:
    children: list[ChildSpec]
    strategy: Literal["one_for_one", "one_for_all", "rest_for_one"]
    max_restarts: int
    period: float
    name: str | None
    def __init__(self, children: Iterable[ChildSpec | _Start] = (),
                 strategy: Literal["one_for_one", "one_for_all",
                                   "rest_for_one"] = "one_for_one",
                 max_restarts: int = 3, period: float = 5.0,
                 name: str | None = None) -> None: ...
    def __call__(self) -> None: ...
    def start_link(self, timeout: float | None = None) -> Pid: ...
    @staticmethod
    def which_children(sup: _Sup, timeout: float | None = 5.0) -> list[ChildInfo]: ...
    @staticmethod
    def count_children(sup: _Sup, timeout: float | None = 5.0) -> dict[str, int]: ...
    @staticmethod
    def restart_count(sup: _Sup, timeout: float | None = 5.0) -> int: ...
    @staticmethod
    def start_child(sup: _Sup, spec: ChildSpec | _Start,
                    timeout: float | None = 5.0) -> Pid: ...
    @staticmethod
    def terminate_child(sup: _Sup, id: Any, timeout: float | None = None) -> None: ...
    @staticmethod
    def restart_child(sup: _Sup, id: Any, timeout: float | None = 5.0) -> Pid: ...
    @staticmethod
    def delete_child(sup: _Sup, id: Any, timeout: float | None = 5.0) -> None: ...
