"""Where a node's seeds come from, when addresses are known only at start.

NodeConfig.seeds entries (and `actors node --seed`):
  tcp://HOST:PORT, ipc://..., NAME@ADDRESS   an address, as is
  dns:NAME:PORT      every address NAME resolves to (A and AAAA records),
                     as tcp://ADDRESS:PORT: a Kubernetes headless
                     service, a DNS round robin.  Resolved again every
                     discovery_interval seconds: new addresses are said
                     hello to (new pods join), gone ones are no longer
                     tried.  NodeConfig.dns_server ("HOST:PORT") asks that
                     server directly (dnspython) instead of the system
                     resolver.
  file:PATH          one seed a line (blank lines and # comments skipped),
                     read again when the file changes.
  env:VAR            the seeds in environment variable VAR, separated by
                     commas or white space (any form above but env:).
  slurm:PORT         the hosts of the Slurm allocation (SLURM_JOB_NODELIST,
                     e.g. "node[01-04,09],gpu7"), tcp://HOST:PORT each,
                     this host (SLURMD_NODENAME) left out.
${VAR} in listen, advertise and seeds is replaced with the environment
variable's value (advertise="tcp://${POD_IP}:7000"); an unset one is a
NodeStartError.  ACTORS_SEEDS, when NodeConfig.seeds is empty and the
node runs from `actors node`, is read as env:ACTORS_SEEDS.

Resolving blocks (getaddrinfo, a DNS query), so after the first time it is
done in a thread, which hands each changed list to the node's discovery
actor (a cross-thread send); the node only opens and closes seed sockets.
"""
from __future__ import annotations

import os
import re
import socket
import threading

import actors

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_DYNAMIC = ("dns:", "file:")


class DiscoveryError(ValueError):
    """A seed source that cannot be read (a bad form, an unset variable)."""


def expand(text):
    """text with every ${VAR} replaced by its environment value."""
    def var(m):
        value = os.environ.get(m.group(1))
        if value is None:
            raise DiscoveryError("%r names the environment variable %s, "
                                 "which is not set" % (text, m.group(1)))
        return value
    return _VAR.sub(var, text) if text and "${" in text else text


def check_source(seed):
    """Raise ValueError for a seed entry of an unknown or bad form (at
    NodeConfig construction)."""
    if seed.startswith("dns:"):
        name, _, port = seed[4:].rpartition(":")
        if not name or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("a dns: seed is dns:NAME:PORT, not %r" % seed)
    elif seed.startswith("slurm:"):
        port = seed[6:]
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("a slurm: seed is slurm:PORT, not %r" % seed)
    elif seed.startswith(("file:", "env:")):
        if len(seed.partition(":")[2]) == 0:
            raise ValueError("%r names no %s" % (
                seed, "file" if seed.startswith("file:") else "variable"))


def is_dynamic(seeds):
    """Do the entries name sources that change (dns:, file:)?"""
    return any(x.startswith(_DYNAMIC) for s in seeds
               for x in expand_env_entries(expand(s)))


def expand_env_entries(seed):
    """An env:VAR entry as the entries it holds; any other as itself."""
    if not seed.startswith("env:"):
        return [seed]
    value = os.environ.get(seed[4:], "")
    out = [s for s in re.split(r"[\s,]+", value) if s]
    if any(s.startswith("env:") for s in out):
        raise DiscoveryError("%s: env: seeds do not nest" % seed)
    return out


def hostlist(text):
    """A Slurm host list expanded: "n[01-03,7],gpu1" -> [n01, n02, n03,
    n7, gpu1] (zero padding kept; several bracket groups multiply)."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    out = []
    for part in parts:
        out.extend(_expand_one(part.strip()))
    return out


def _expand_one(part):
    m = re.search(r"\[([^\]]*)\]", part)
    if m is None:
        return [part] if part else []
    head, tail = part[:m.start()], part[m.end():]
    out = []
    for rng in m.group(1).split(","):
        lo, _, hi = rng.partition("-")
        if not hi:
            values = [lo]
        else:
            if not (lo.isdigit() and hi.isdigit()):
                raise DiscoveryError("bad Slurm host range %r" % rng)
            width = len(lo)
            values = [str(i).zfill(width)
                      for i in range(int(lo), int(hi) + 1)]
        for v in values:
            out.extend(_expand_one(head + v + tail))
    return out


def _tcp(ip, port):
    return "tcp://[%s]:%d" % (ip, port) if ":" in ip else \
        "tcp://%s:%d" % (ip, port)


def resolve_dns(name, port, server=None, timeout=2.0):
    """tcp:// addresses of every A and AAAA record of name, sorted; []
    when it has none (NXDOMAIN: no pod is up yet)."""
    if server is None:
        try:
            infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            return []
        return sorted({_tcp(info[4][0], port) for info in infos})
    try:
        import dns.exception
        import dns.resolver
    except ImportError:
        raise DiscoveryError("NodeConfig.dns_server needs the dnspython "
                             "package (pip install dnspython)") from None
    host, _, sport = server.rpartition(":")
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [host.strip("[]")]
    r.port = int(sport)
    r.lifetime = timeout
    found = set()
    for rtype in ("A", "AAAA"):
        try:
            answer = r.resolve(name, rtype, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer,
                dns.resolver.NoNameservers, dns.exception.Timeout,
                OSError):                 # unreachable now: none found
            continue
        found.update(_tcp(rr.address, port) for rr in answer)
    return sorted(found)


def _read_file(path):
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    return [ln.strip() for ln in lines
            if ln.strip() and not ln.strip().startswith("#")]


def resolve(seeds, dns_server=None):
    """The addresses the seed entries stand for now, in order, without
    duplicates."""
    out = []
    for entry in seeds:
        for seed in expand_env_entries(expand(entry)):
            if seed.startswith("dns:"):
                name, _, port = seed[4:].rpartition(":")
                found = resolve_dns(name, int(port), dns_server)
            elif seed.startswith("file:"):
                found = [expand(s) for s in _read_file(seed[5:])]
            elif seed.startswith("slurm:"):
                nodes = os.environ.get("SLURM_JOB_NODELIST") or \
                    os.environ.get("SLURM_NODELIST", "")
                me = os.environ.get("SLURMD_NODENAME")
                found = ["tcp://%s:%s" % (h, seed[6:])
                         for h in hostlist(nodes) if h != me]
            else:
                found = [seed]
            for s in found:
                if s not in out:
                    out.append(s)
    return out


class Watcher:
    """Resolves the dynamic seeds every interval in a thread; sends each
    changed list to the actor `to` as ("seeds", [addresses])."""

    def __init__(self, seeds, dns_server, interval, current, to):
        self.seeds = seeds
        self.dns_server = dns_server
        self.interval = interval
        self.last = list(current)
        self.to = to
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name="actors-discovery")
        self.thread.start()

    def _run(self):
        while not self.stopped.wait(self.interval):
            try:
                now = resolve(self.seeds, self.dns_server)
            except Exception:
                continue              # a bad moment of DNS: keep the last
            if now != self.last and not self.stopped.is_set():
                self.last = now
                try:
                    actors.send(self.to, ("seeds", now))
                except Exception:
                    return            # the node has gone

    def stop(self):
        self.stopped.set()


def discovery_main(node):
    """The node's discovery actor: applies the seed lists the watcher
    sends (the node opens new seeds, forgets gone ones)."""
    while True:
        msg = actors.receive()
        if type(msg) is tuple and msg and msg[0] == "seeds":
            node.update_seeds(msg[1])
