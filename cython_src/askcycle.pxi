# Ask cycles: A asks B while B, through a chain of asks, waits for A, so
# none of them can ever answer.  The ask that closes the cycle fails at once
# with AskCycleError and the chain of pids, instead of every ask timing out.
#
# Locally the chain is followed when the ask is made (each waiting actor's
# _AskMatch.target).  Across nodes it is edge chasing, after Chandy, Misra
# and Haas: where the chain reaches an actor of another node it continues
# there as a probe record ("ac", ref id, chain) sent to that node.  chain[0]
# is the initiating asker and the ref id names the ask it waits in, so a
# probe that comes back once that ask has ended finds nothing to fail.
# A chase starts only where a new wait edge meets an actor that itself
# waits in an ask: a local ask of such an actor (ask()), or a remote ask's
# request arriving at one (_in_request).  Each new edge so sends at most one
# probe, forwarded along the one chain of waits (an actor waits in one ask
# at a time), which stops at an actor that does not wait in an ask, at a
# pid seen before, or at PROBE_MAX pids.  The plain ask() pays nothing: it
# already tested whether its target waits in an ask.

class AskCycleError(ActorError):
    """ask() refused: the actor asked waits (through a chain of asks, on
    this node or others) for the asker itself, so neither could ever
    answer.  .chain is the Pids, the asker first and last."""

    def __init__(self, chain):
        self.chain = list(chain)
        ActorError.__init__(self, "ask cycle: %s (each waits for the "
                            "next's reply)" % " -> ".join(map(repr, chain)))

    def __reduce__(self):     # crosses nodes in replies; args is the message
        return (AskCycleError, (self.chain,))


# (chain[-1] is no last item here: the core is built with wraparound=False)
cdef Py_ssize_t CHAIN_MAX = 10000   # pids followed on one node at most
cdef Py_ssize_t PROBE_MAX = 1000    # pids a probe carries at most (its size)

# follow()'s outcomes
cdef enum:
    CHAIN_ENDS = 0                  # no cycle through chain[0]
    CHAIN_LEAVES = 1                # chain[-1] is another node's: probe it
    CHAIN_CLOSES = 2                # chain[-1] == chain[0], of this node


cdef int follow(list chain) except -1:
    """Extend chain (its last pid one of this node's) along the asks its
    actors wait in, while they are local."""
    cdef Process t
    first = chain[0]
    seen = set(chain)
    while len(chain) < CHAIN_MAX:
        t = <Process>processes.get(chain[len(chain) - 1])
        if t is None or not t.pflags & P_WAITING or \
                type(t.matcher) is not _AskMatch:
            return CHAIN_ENDS
        nxt = (<_AskMatch>t.matcher).target
        if nxt is None:
            return CHAIN_ENDS
        chain.append(nxt)
        if nxt == first:
            return CHAIN_CLOSES if (<Pid>nxt).node == 0 else CHAIN_LEAVES
        if nxt in seen:                   # a cycle that first only joins:
            return CHAIN_ENDS             # its own closer was told
        seen.add(nxt)
        if (<Pid>nxt).node != 0:
            return CHAIN_LEAVES
    return CHAIN_ENDS


cdef int refuse_ask_cycle(Process me, Process target, list chain) except -1:
    """me is about to ask target, which waits in an ask itself: follow the
    chain of asks and raise AskCycleError if it comes back to me.  1 if
    it leads to another node (chain then holds it, for chase_remote once
    the ask has its ref), else 0."""
    chain.append(me.pid)
    chain.append(target.pid)
    cdef int r = follow(chain)
    if r == CHAIN_CLOSES:
        counters.ask_cycles += 1
        raise AskCycleError(chain)
    return r == CHAIN_LEAVES


cdef int chase_remote(list chain, long long ref) except -1:
    """Send the probe for chain (its last pid another node's) there; ref
    is the id of the ask chain[0] waits in."""
    if len(chain) <= PROBE_MAX and remote_router is not None:
        remote_router.ask_probe(chain[len(chain) - 1], ref, chain)
    return 0


cdef int chase(list chain, long long ref) except -1:
    """Follow chain from this node on: fail chain[0]'s ask if it closes
    here, send it on if it leaves."""
    cdef int r = follow(chain)
    if r == CHAIN_CLOSES:
        ask_cycle_found(chain, ref)
    elif r == CHAIN_LEAVES:
        chase_remote(chain, ref)
    return 0


cdef int ask_cycle_found(list chain, long long ref) except -1:
    """A probe came back to chain[0], of this node: if it still waits in
    the ask ref, that ask raises AskCycleError (a reply it matches)."""
    cdef Process p = <Process>processes.get(chain[0])
    if p is None or not p.pflags & P_WAITING or \
            type(p.matcher) is not _AskMatch:
        return 0
    r = (<_AskMatch>p.matcher).ref
    if type(r) is not Ref or (<Ref>r).node != 0 or (<Ref>r).id != ref:
        return 0                          # that ask ended meanwhile
    counters.ask_cycles += 1
    send_to(p, p.pid, new_reply(r, None, AskCycleError(chain)))
    return 0


def _in_ask_probe(int node, rec):
    """A probe ("ac", ref id, chain) from node, whose actor chain[-2]
    waits in an ask of this node's chain[-1]."""
    _, ref, chain = rec
    if type(ref) is not int or type(chain) not in (list, tuple) or \
            not 2 <= len(chain) <= PROBE_MAX:
        raise ValueError("a malformed ask probe")
    cdef list pids = list(chain)
    cdef Py_ssize_t n = len(pids)
    for pid in pids:
        if type(pid) is not Pid:
            raise ValueError("an ask probe of %s" % type(pid).__name__)
    if (<Pid>pids[n - 1]).node != 0 or (<Pid>pids[n - 2]).node != node:
        raise ValueError("an ask probe that is not for this node or not "
                         "from its sender's actor")
    if pids[n - 1] == pids[0]:
        ask_cycle_found(pids, ref)
    else:
        chase(pids, ref)
