# Observability's build switch.  OBSERVE is 0 only in the benchmark-only
# build that bench_overhead.py makes as its baseline (ACTORS_OBSERVE=0 at
# build time, setup.py): every addition observability makes to the hot
# paths (counters.pxi's counters, reductions, scheduler ticks and idle
# time, Pid.born, the ask-cycle check, the tracing tests, the gauges'
# bookkeeping) is compiled out, and what reads them gets zeros (the
# mailbox gauges then see only the run queues and the running actors).
# A C macro: both builds share one generated C file, and the normal build
# pays nothing for the switch (the C compiler drops `if (0)` blocks).
cdef extern from *:
    """
    #ifndef ACTORS_OBSERVE
    #define ACTORS_OBSERVE 1
    #endif
    """
    const bint OBSERVE "ACTORS_OBSERVE"
