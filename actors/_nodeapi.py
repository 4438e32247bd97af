"""The cluster's public calls, importable without ZeroMQ.

No node can run before the node layer (actors._cluster, which brings in
ZeroMQ) is imported: run(node=...) imports it.  Until then each call
answers "no node" itself; afterwards it is the node layer's own.  (The
package has no module __getattr__ to import it lazily: CPython 3.11-3.13
do not specialize `actors.name` lookups on a module that has one, and every
actors.send() would pay a dictionary search for it.)"""
import sys

from actors._backend import core as _core


def _layer():
    return sys.modules.get("actors._cluster")


def _no_node():
    raise _core.ActorError("this process runs no cluster node")


def node_name():
    """This node's name, or None outside a cluster node."""
    c = _layer()
    return None if c is None else c.node_name()


def nodes():
    """Names of the nodes this one is connected to."""
    c = _layer()
    return [] if c is None else c.nodes()


def monitor_node(name):
    """The calling actor gets NodeDown(name, reason) when node name goes
    down (at once if it is not connected)."""
    c = _layer()
    return _no_node() if c is None else c.monitor_node(name)


def demonitor_node(name):
    """Stop monitor_node(name)."""
    c = _layer()
    return _no_node() if c is None else c.demonitor_node(name)


def node_stats():
    """Counters of this node (see actors._cluster.node_stats)."""
    c = _layer()
    return _no_node() if c is None else c.node_stats()
