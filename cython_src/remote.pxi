# The core's side of a cluster.  Pids and refs carry a node index: 0 is
# this node, others index node_table, whose entries are (name,
# incarnation).  A pid of another node is served by the remote router that
# the node layer (actors/_cluster.py) installs; what arrives from other
# nodes enters through the _in_* functions, called in the scheduler's
# thread.  The core knows nothing of the network: run(node=...) runs the
# node layer's root actor (_set_node_runner), and cluster-wide names are
# the router's (register/unregister).

cdef list node_table = [None]     # index -> (name, incarnation); 0: here
cdef dict node_index = {}         # (name, incarnation) -> index
cdef dict cluster_names = {}      # name -> Pid, names registered cluster-wide
cdef dict remote_asks = {}        # node -> {ref: (asker, target)} waiting
cdef object remote_router = None
cdef object node_runner = None    # run(node=config): the node's root actor


def _set_local_node(name, incarnation):
    """Name this node; pids pickled from now on carry it."""
    node_table[0] = (name, incarnation)
    node_index[(name, incarnation)] = 0


def _node_id(name, incarnation):
    """The index of a node, given one if it has none yet."""
    key = (name, incarnation)
    index = node_index.get(key)
    if index is None:
        index = len(node_table)
        node_table.append(key)
        node_index[key] = index
    return index


def _node_ident(int index):
    """(name, incarnation) of a node index, None for an unnamed local node."""
    return node_table[index]


def _pid_at(name, incarnation, long long id):
    return _pid(_node_id(name, incarnation), id)


def _ref_at(name, incarnation, long long id):
    return _ref(_node_id(name, incarnation), id)


def _set_router(router):
    """Install the object that carries remote sends, exits, links, monitors
    and spawns (or None)."""
    global remote_router
    remote_router = router


def _set_node_runner(runner):
    """run(main, *args, node=config, **kwargs) runs runner(config, main,
    args, kwargs) as its root actor (None: run() takes no node)."""
    global node_runner
    node_runner = runner


cdef object cluster_router():
    """The router, for what only a cluster node can do."""
    if remote_router is None:
        raise ActorError("this process runs no cluster node")
    return remote_router


def _set_flush_hook(hook):
    """hook() is called by this thread's scheduler after a batch of actors
    ran, when _want_flush() was called during it (or None)."""
    this_scheduler().flush_hook = hook


def _want_flush():
    cdef Scheduler s = (<_ThreadState>thread_state()).sched
    if s is not None:
        s.flush_wanted = True


def _in_request(int node, tuple rec):
    """A remote actor's ask(), record ("q", target id, asker id, ref id,
    msg): the local target gets a Request whose reply goes back."""
    target = _pid(0, rec[1])
    asker = _pid(node, rec[2])
    cdef Process p = <Process>processes.get(target)
    send_to(p, target, Request(rec[4], asker, _ref(node, rec[3])))
    if p is not None and p.pflags & P_WAITING and \
            type(p.matcher) is _AskMatch:
        chase([asker, target], rec[3])    # askcycle.pxi: a new wait edge


def _in_reply(long long asker, long long ref, value, exc):
    """The answer to an ask() of this node's actor asker."""
    send(_pid(0, asker), _Reply(_ref(0, ref), value, exc))


def _watch_fd(int fd, callback):
    """callback() runs in this thread's scheduler loop each time fd turns
    readable (None: stop); see Scheduler.watch_fd."""
    this_scheduler().watch_fd(fd, callback)


def _cluster_names():
    return cluster_names


def _in_link(Pid local, Pid remote):
    """A remote actor linked itself to a local one."""
    cdef Process p = <Process>processes.get(local)
    if p is None:
        remote_router.exit(remote, local, "noproc")
        return
    if p.more().links is None:
        p.extra.links = set()
    p.extra.links.add(remote)


def _in_unlink(Pid local, Pid remote):
    cdef Process p = <Process>processes.get(local)
    if p is not None and p.extra is not None and p.extra.links:
        p.extra.links.discard(remote)


def _in_monitor(Pid local, Pid watcher, ref):
    """A remote actor monitors a local one."""
    cdef Process p = <Process>processes.get(local)
    if p is None:
        remote_router.down(watcher, ref, local, "noproc")
        return
    if p.more().watchers is None:
        p.extra.watchers = []
    p.extra.watchers += (ref, watcher)


def _in_demonitor(Pid local, ref):
    cdef Process p = <Process>processes.get(local)
    if p is not None and p.extra is not None and p.extra.watchers:
        unwatch(p.extra.watchers, ref)


def _in_down(Pid watcher, ref, Pid pid, reason):
    """A remote actor that a local one monitors has ended."""
    cdef Process w = <Process>processes.get(watcher)
    if w is None or w.extra is None or not w.extra.monitors or \
            w.extra.monitors.pop(ref, None) is None:
        return                            # demonitored meanwhile
    deliver(w, Down(ref, pid, reason))


def _in_exit(Pid dest, Pid sender, reason):
    exit_signal(dest, sender, reason)


def _node_down(int index, reason="noconnection"):
    """A node is gone: every link to its actors signals reason, every
    monitor of them delivers Down with reason, its cluster names go."""
    cdef Process p
    cdef _Extra x
    for name in [n for n, pid in cluster_names.items()
                 if (<Pid>pid).node == index]:
        del cluster_names[name]
    for ref, (asker, target) in remote_asks.pop(index, {}).items():
        p = <Process>processes.get(asker)
        if p is not None:
            deliver(p, Down(ref, target, reason))
    for p in list(processes.values()):
        x = p.extra
        if x is None:
            continue
        if x.watchers:
            for i in range(len(x.watchers) - 2, -1, -2):
                if (<Pid>x.watchers[i + 1]).node == index:
                    del x.watchers[i:i + 2]
        if x.monitors:
            for ref, pid in list(x.monitors.items()):
                if (<Pid>pid).node == index:
                    del x.monitors[ref]
                    deliver(p, Down(ref, pid, reason))
        if x.links:
            for pid in [q for q in x.links if (<Pid>q).node == index]:
                x.links.discard(pid)
                exit_signal(p.pid, pid, reason)
