# Time values that callers pass (timeouts, sleeps, timer delays): checked at
# the call, so that nothing reaches the loop as NaN (which compares false
# with everything and would never fire nor leave the heap), as a negative
# wait, or as a number the poller or a lock cannot take.  inf and None mean
# "no deadline"; any finite value works, however large.  A negative timeout
# or delay is a deadline already passed (the caller computed deadline - now):
# it polls or fires at once; a negative period or grace time is an error.

import math
import numbers
from libc.math cimport INFINITY

cdef double FOREVER = -1.0        # seconds_arg(): no deadline
# The longest single wait handed to epoll/poll/a lock: their C timeouts
# overflow near 24.8 days (int milliseconds); the loop simply wakes once a
# day and waits again.
cdef double LONGEST_WAIT = 86400.0


cdef double seconds_arg(value, str what, bint none_ok,
                        bint negative_ok=True) except? -2.0:
    """value as seconds >= 0, or FOREVER for inf (and for None if none_ok).
    TypeError for what is not a real number, ValueError for NaN (and for
    negative values unless negative_ok: they count as 0)."""
    cdef double t
    if value is None and none_ok:
        return FOREVER
    if type(value) is float or type(value) is int:
        t = value
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        t = float(value)
    else:
        raise TypeError("%s is a number of seconds%s, not %r"
                        % (what, " or None" if none_ok else "", value))
    if t != t:
        raise ValueError("%s is NaN" % what)
    if t < 0:
        if t == -INFINITY or not negative_ok:
            raise ValueError("%s must be >= 0, not %r" % (what, value))
        return 0.0
    if t == INFINITY:
        return FOREVER
    return t


cdef inline double deadline_in(double seconds) noexcept:
    """The deadline seconds from now (FOREVER stays FOREVER)."""
    return FOREVER if seconds < 0 else now() + seconds


def _check_seconds(value, what="timeout", none_ok=True, negative_ok=False):
    """For the Python layers (System, Supervisor, ask_async): value checked
    like the core's timeouts; returns a float, or None for no deadline
    (None, inf)."""
    cdef double t = seconds_arg(value, what, none_ok, negative_ok)
    return None if t < 0 else t


def _wait_event(event, timeout):
    """threading.Event.wait() for any timeout seconds (None: forever):
    locks refuse waits longer than threading.TIMEOUT_MAX."""
    cdef double t = seconds_arg(timeout, "timeout", True)
    cdef double deadline = deadline_in(t)
    while True:
        if deadline < 0:
            step = LONGEST_WAIT
        else:
            step = min(deadline - now(), LONGEST_WAIT)
            if step <= 0:
                return event.is_set()
        if event.wait(step):
            return True
