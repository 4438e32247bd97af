# Counters for actors.metrics(), kept in one C struct so that counting on
# the hot paths is an add on memory already in cache: no Python object, no
# call, no check.  Gauges are read from figures kept on paths that are
# slow anyway (introspect.pxi's _gauges says which), never from a walk over
# every live actor.

cdef struct Counters:
    unsigned long long sent           # send() calls
    unsigned long long received       # messages taken by receive()/Actor
    unsigned long long exits          # actors ended
    unsigned long long crashed        # ... of an exception they raised
    unsigned long long ask_timeouts   # ask() that raised Timeout
    unsigned long long ask_cycles     # ask() refused: it would deadlock

cdef Counters counters
cdef double runtime_start         # Pid.born counts from here (coarse clock)

# Tracing (introspect.pxi): the events being traced (TR_* bits), 0 when
# tracing is off, which is all the hot paths look at; a traced actor also
# has P_TRACED in its pflags.
cdef enum:
    TR_SEND = 1
    TR_RECEIVE = 2
    TR_SPAWN = 4
    TR_EXIT = 8
    TR_LINK = 16
    TR_NEW = 32         # actors spawned from now on are traced too

cdef unsigned int trace_flags = 0
