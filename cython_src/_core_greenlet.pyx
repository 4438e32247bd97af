# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: embedsignature=True, embedsignature.format=clinic
"""The actor runtime over the greenlet package: the same runtime.pxi as
actors._core, its tasklets greenlets (greenlet_shim.pxi).  Slower, but it
needs no switch stub and no interpreter internals, so it builds wherever
Cython and a C compiler do (any CPython >= 3.11; PyPy through cpyext).
"""
from portable cimport *

include "observe.pxi"
include "greenlet_shim.pxi"
include "runtime.pxi"


def _stats():
    """Internal counters, for tests and benchmarks."""
    return {"processes": len(processes)}


BACKEND = "greenlet"
__all__ = TASKLET_NAMES + RUNTIME_NAMES
