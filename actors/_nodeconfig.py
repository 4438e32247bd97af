"""NodeConfig and the cluster's other public types, importable without
ZeroMQ, and the checks of NodeConfig's fields at construction: a bad value
is a ValueError or TypeError naming the field, never a number libzmq is
handed (heartbeat=0 became a 1 ms ZMTP ping) or a NaN every comparison
ignores."""
from __future__ import annotations

import collections
import dataclasses
import math

_SECURITY = ("cookie", "certs", "none")
_SERIALIZERS = ("pickle", "msgpack")


def _seconds(cfg, field, positive=True, optional=False):
    v = getattr(cfg, field)
    if v is None and optional:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("NodeConfig.%s: seconds as a number%s, not %r"
                        % (field, " or None" if optional else "", v))
    if not math.isfinite(v):
        raise ValueError("NodeConfig.%s must be finite, not %r" % (field, v))
    if v < 0 or (positive and v == 0):
        raise ValueError("NodeConfig.%s must be %s, not %r"
                         % (field, "> 0" if positive else ">= 0", v))


def _count(cfg, field, minimum):
    v = getattr(cfg, field)
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("NodeConfig.%s: an int, not %r" % (field, v))
    if v < minimum:
        raise ValueError("NodeConfig.%s must be >= %d, not %r"
                         % (field, minimum, v))


def _text(cfg, field, optional=False):
    v = getattr(cfg, field)
    if v is None and optional:
        return
    if not isinstance(v, str) or not v:
        raise TypeError("NodeConfig.%s: a non-empty str%s, not %r"
                        % (field, " or None" if optional else "", v))


def validate(cfg):
    _text(cfg, "name")
    if "\0" in cfg.name or "@" in cfg.name:
        raise ValueError("NodeConfig.name: no '\\0' or '@' in a node name "
                         "(%r)" % (cfg.name,))
    _text(cfg, "listen")
    if isinstance(cfg.seeds, (str, bytes)):
        raise TypeError("NodeConfig.seeds: a list of addresses, not one "
                        "string (%r)" % (cfg.seeds,))
    try:
        seeds = tuple(cfg.seeds)
    except TypeError:
        raise TypeError("NodeConfig.seeds: a list of addresses, not %r"
                        % (cfg.seeds,)) from None
    from actors import _discovery
    for s in seeds:
        if not isinstance(s, str) or not s:
            raise TypeError("NodeConfig.seeds: addresses are non-empty "
                            "strings, not %r" % (s,))
        try:
            _discovery.check_source(s)
        except ValueError as e:
            raise ValueError("NodeConfig.seeds: %s" % e) from None
    _seconds(cfg, "heartbeat")
    _seconds(cfg, "down_after")
    if cfg.down_after < cfg.heartbeat:
        raise ValueError("NodeConfig.down_after (%r) must be at least one "
                         "heartbeat (%r)" % (cfg.down_after, cfg.heartbeat))
    _seconds(cfg, "stall_timeout", optional=True)
    if cfg.stall_timeout is not None and cfg.stall_timeout < cfg.down_after:
        raise ValueError("NodeConfig.stall_timeout (%r) must be at least "
                         "down_after (%r)" % (cfg.stall_timeout,
                                              cfg.down_after))
    if cfg.security not in _SECURITY:
        raise ValueError("NodeConfig.security is one of %s, not %r"
                         % (", ".join(map(repr, _SECURITY)), cfg.security))
    if cfg.serializer not in _SERIALIZERS:
        raise ValueError("NodeConfig.serializer is 'pickle' or 'msgpack', "
                         "not %r" % (cfg.serializer,))
    _count(cfg, "max_msg_size", 1024)
    _count(cfg, "sndhwm", 0)
    _count(cfg, "rcvhwm", 0)
    _seconds(cfg, "join_timeout", positive=False, optional=True)
    _seconds(cfg, "stop_timeout", positive=False)
    _text(cfg, "advertise", optional=True)
    _text(cfg, "cookie_file", optional=True)
    _text(cfg, "cert_dir", optional=True)
    _text(cfg, "dns_server", optional=True)
    if cfg.dns_server is not None:
        host, _, port = cfg.dns_server.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("NodeConfig.dns_server is HOST:PORT, not %r"
                             % (cfg.dns_server,))
    _seconds(cfg, "discovery_interval")
    if cfg.health_port is not None:
        _count(cfg, "health_port", 0)
        if cfg.health_port > 65535:
            raise ValueError("NodeConfig.health_port: a TCP port, not %r"
                             % (cfg.health_port,))
    if cfg.cookie is not None and not isinstance(cfg.cookie, (str, bytes)):
        raise TypeError("NodeConfig.cookie: str or bytes, not %s"
                        % type(cfg.cookie).__name__)
    return seeds


NodeDown = collections.namedtuple("NodeDown", "name reason")
NodeDown.__doc__ = ("A node watched with monitor_node() went down: "
                    "NodeDown(name, reason).")
NodeDown.__module__ = __name__


class NodeStartError(Exception):
    """A node could not start (address in use, no cookie, no seed...)."""


@dataclasses.dataclass
class NodeConfig:
    """How a node runs.

    name: unique in the cluster; listen: the ZeroMQ address of its inbox
    ("tcp://127.0.0.1:7001"; a port of "*" picks a free one); seeds:
    addresses of nodes to join through ("name@tcp://..." in certs mode);
    cookie / cookie_file: the cluster secret (else ACTORS_COOKIE or
    ACTORS_COOKIE_FILE); heartbeat: seconds between heartbeats; down_after:
    seconds of silence (or of a full outbox) before a peer is declared
    down; security: "cookie", "certs" (cert_dir) or "none"; max_msg_size:
    bytes of the largest frame accepted; sndhwm/rcvhwm: frames queued per
    socket; join_timeout: seconds to wait at start for a seed to answer
    (None: do not wait); stop_timeout: seconds a graceful stop waits for
    the peers' confirmations; advertise: the address peers connect to (the
    bound one by default); serializer: how payloads cross, "pickle" (any
    picklable object) or "msgpack" (plain data, Pids, Refs, Down/Exit,
    ask requests/replies; exception reasons become (type name, str)
    pairs; a message msgpack cannot encode is logged and dropped) -- every
    node of a cluster must use the same one; spawnable: what other nodes
    may spawn here besides the @actors.spawnable callables ("module:qualname"
    or "module", see _remote); insecure: allow security="none" on an
    address other than loopback (anyone reaching it can run code here);
    stall_timeout: seconds a peer whose connection ZeroMQ keeps alive (its
    process runs, its scheduler is busy or blocked) may stay silent before
    it is declared down (silent with the connection lost: down_after);
    None: 30 s, or down_after if longer; dns_server, discovery_interval:
    see _discovery (seeds from DNS, files, the environment, Slurm; ${VAR}
    in listen, advertise and seeds); health_port: an HTTP port answering
    /live and /ready (see _health)."""
    name: str
    listen: str
    seeds: tuple = ()
    cookie: object = None
    cookie_file: str | None = None
    heartbeat: float = 0.5
    down_after: float = 3.0
    security: str = "cookie"
    cert_dir: str | None = None
    max_msg_size: int = 64 * 1024 * 1024
    sndhwm: int = 1000
    rcvhwm: int = 1000
    join_timeout: float | None = 5.0
    stop_timeout: float = 5.0
    advertise: str | None = None
    serializer: str = "pickle"
    spawnable: tuple = ()
    insecure: bool = False
    stall_timeout: float | None = None
    dns_server: str | None = None
    discovery_interval: float = 5.0
    health_port: int | None = None

    def __post_init__(self):
        validate(self)
