# Types of the cluster layer's public names (re-exported by actors); the
# rest of the module is the node's internals, left untyped here.
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, Sequence

from actors._core import Pid

log: logging.Logger

@dataclass
class NodeConfig:
    """How a node runs (see the class's docstring at runtime)."""
    name: str
    listen: str
    seeds: Sequence[str] = ()
    cookie: str | bytes | None = None
    cookie_file: str | None = None
    heartbeat: float = 0.5
    down_after: float = 3.0
    security: Literal["cookie", "certs", "none"] = "cookie"
    cert_dir: str | None = None
    max_msg_size: int = 67108864
    sndhwm: int = 1000
    rcvhwm: int = 1000
    join_timeout: float | None = 5.0
    stop_timeout: float = 5.0
    advertise: str | None = None
    serializer: Literal["pickle", "msgpack"] = "pickle"
    spawnable: Sequence[str] = ()
    insecure: bool = False
    stall_timeout: float | None = None
    dns_server: str | None = None
    discovery_interval: float = 5.0
    health_port: int | None = None
    def __post_init__(self) -> None: ...

class NodeDown(NamedTuple):
    """A node watched with monitor_node() went down."""
    name: str
    reason: Any

class NodeStartError(Exception): ...

def node_name() -> str | None: ...
def nodes() -> list[str]: ...
def monitor_node(name: str) -> None: ...
def demonitor_node(name: str) -> None: ...
def node_stats() -> dict[str, Any]: ...

# Used by the core and the CLI, not by applications.
class Node:
    """The router the core calls for remote pids, and the node's state (its
    other attributes are internals: see tests/typing/stubtest-allowlist)."""
    def __init__(self, config: NodeConfig) -> None: ...

def run_node(config: NodeConfig, main: Callable[..., Any],
             args: tuple[Any, ...] = (),
             kwargs: Mapping[str, Any] | None = None) -> Any: ...
def register_cluster(name: str, pid: Pid) -> None: ...
def unregister_cluster(name: str) -> None: ...
def whereis_cluster(name: str) -> Pid | None: ...
