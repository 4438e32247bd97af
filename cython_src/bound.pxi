# Bounded mailboxes (issue 13): spawn(fn, mailbox=N) or a class attribute
# `mailbox = N` on an Actor subclass ((N, timeout) for another wait than
# MAILBOX_WAIT).  The policy when the mailbox holds N messages:
# - a sender that is an actor of the same thread waits, yielding to the
#   scheduler (so the receiver runs), until there is room; after the
#   timeout send() raises MailboxFull and the message is not sent;
# - anything that cannot wait (code outside an actor, another thread's
#   post, the actor itself) delivers anyway: the bound is for producers
#   that can be slowed down, never a reason to lose a message;
# - a cluster node checks _room() before delivering a remote record and
#   holds that peer's records meanwhile (_flow.py): pressure reaches the
#   remote producers through credits.
# Kept apart from the hot paths: send() pays one pointer test when the
# destination has no _Extra, two when it has one without a bound.

class MailboxFull(Timeout):
    """send() waited its timeout for room in a bounded mailbox: the
    message was not sent."""


MAILBOX_WAIT = 5.0                # seconds a sender waits by default
cdef bint any_bounded = False     # some actor was ever given a bound


cdef int set_bound(Process p, spec) except -1:
    global any_bounded
    cdef object n = spec
    cdef double wait = MAILBOX_WAIT
    if type(spec) is tuple:
        if len(spec) != 2:
            raise TypeError("mailbox= takes N or (N, timeout), not %r"
                            % (spec,))
        n = spec[0]
        wait = seconds_arg(spec[1], "the mailbox timeout", True, False)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("mailbox= takes a number of messages (an int), "
                        "not %r" % (n,))
    if n < 1:
        raise ValueError("mailbox= must be at least 1, not %r" % (n,))
    x = p.more()
    x.bound = n
    x.bound_wait = wait
    any_bounded = True
    return 0


cdef object bound_spec(fn, spec):
    """The bound asked for: spawn()'s mailbox=, else an Actor class's
    `mailbox` attribute, else None."""
    if spec is None and isinstance(fn, type) and issubclass(fn, Actor):
        spec = getattr(fn, "mailbox", None)
    return spec


cdef inline bint is_full(Process p) noexcept:
    return p.extra is not None and p.extra.bound > 0 and \
        p.mailbox is not None and len(p.mailbox) >= p.extra.bound


cdef int wait_for_room(Process p) except -1:
    """Wait, yielding, while p's mailbox is full: a few bare yields, then
    naps of a millisecond (the receiver may be waiting on something else
    than the CPU).  Raises MailboxFull at the deadline."""
    cdef Process me = current_process_or_none()
    cdef double deadline
    cdef int n = 0
    if me is None or me is p or me.sched is not p.sched:
        return 0
    deadline = deadline_in(p.extra.bound_wait)
    while is_full(p) and not p.pflags & P_EXITED:
        if deadline >= 0 and now() >= deadline:
            raise MailboxFull("the mailbox of %r stayed full (%d messages) "
                              "for %s s" % (p.pid, p.extra.bound,
                                            p.extra.bound_wait))
        sleep(0 if n < 32 else 0.001)
        n += 1
    return 0


def _bounded():
    """Was any actor of this process given a mailbox bound?"""
    return any_bounded


def _room(int id):
    """May a message for local actor id be delivered now without
    exceeding its bound?  (True for an actor without one, or none.)"""
    cdef Process p = <Process>processes.get(_pid(0, id))
    return p is None or not is_full(p)


def _mailbox_size(pid):
    """(messages waiting, bound or None) of a local actor; for tests and
    node_stats."""
    cdef Process p = lookup(pid)
    if p is None:
        raise ActorDeadError("%r is not alive" % (pid,))
    return (len(p.mailbox) if p.mailbox is not None else 0,
            p.extra.bound if p.extra is not None and p.extra.bound else None)
