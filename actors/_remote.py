"""What other nodes may spawn on this one.

spawn(fn, node="b") sends b only a name (module, qualified name): b must
decide what that name may run.  Importing whatever module a peer names and
calling whatever it finds there would hand every peer (any admitted node,
or anyone who can reach the port with security="none") the power to run
os.system.  So a node runs only what it allows:

- a callable marked @actors.spawnable, in a module this node has imported;
- a name listed in NodeConfig(spawnable=[...]): "module:qualname" allows
  exactly that callable (imported on demand, marked or not); "module"
  allows the module to be imported on demand, and then its @spawnable
  callables only.

Nothing else, and nothing by default: a node that registers nothing can be
spawned on by nobody.  A refusal is answered to the spawner as an error
naming what was refused.
"""
from __future__ import annotations

import importlib

_registry = {}                    # (module, qualname) -> the marked object


class SpawnRefused(Exception):
    """A remote spawn this node does not allow (sent back to the spawner)."""


def spawnable(fn):
    """Mark a module-level function or Actor class as one that other nodes
    may spawn on this node (spawn(fn, node=...)).  Returns fn unchanged."""
    mod = getattr(fn, "__module__", None)
    qual = getattr(fn, "__qualname__", None)
    if not callable(fn) or not isinstance(mod, str) or \
            not isinstance(qual, str):
        raise TypeError("@spawnable marks a function or an Actor class, "
                        "not %r" % (fn,))
    if "<" in qual:
        raise TypeError("@spawnable: %s.%s is not reachable by name from "
                        "another node (a lambda or a nested function)"
                        % (mod, qual))
    _registry[(mod, qual)] = fn
    return fn


def check_allow_list(entries):
    """NodeConfig.spawnable as a frozenset of strings; TypeError or
    ValueError for anything that is not a list of "module" or
    "module:qualname" names."""
    if isinstance(entries, (str, bytes)) or entries is None:
        raise TypeError("NodeConfig(spawnable=...) is a list of names "
                        "(\"module\" or \"module:qualname\"), not %r"
                        % (entries,))
    out = set()
    for e in entries:
        if not isinstance(e, str):
            raise TypeError("NodeConfig(spawnable=...): %r is not a string"
                            % (e,))
        mod, sep, qual = e.partition(":")
        parts = mod.split(".") + (qual.split(".") if sep else [])
        if not all(p.isidentifier() for p in parts):
            raise ValueError("NodeConfig(spawnable=...): %r is not "
                             "\"module\" or \"module:qualname\"" % (e,))
        out.add(e)
    return frozenset(out)


def _lookup(mod, qual):
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def resolve(mod, qual, allowed):
    """The callable a peer asked to spawn as (mod, qual), if this node
    allows it (allowed: check_allow_list's set); else SpawnRefused."""
    if not isinstance(mod, str) or not isinstance(qual, str):
        raise SpawnRefused("a spawn request names a module and a function")
    fn = _registry.get((mod, qual))
    if fn is not None:
        return fn
    if "%s:%s" % (mod, qual) in allowed:
        return _lookup(mod, qual)
    if mod in allowed:
        importlib.import_module(mod)  # its @spawnable marks register now
        fn = _registry.get((mod, qual))
        if fn is not None:
            return fn
    raise SpawnRefused(
        "%s.%s is not spawnable here: mark it @actors.spawnable (in a module "
        "the node imports), or list it in NodeConfig(spawnable=...)"
        % (mod, qual))
