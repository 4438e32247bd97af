"""The node's C receive path calls the libzmq pyzmq uses, even when
another copy (the system's libzmq5) was loaded into the process first:
one copy's zmq_msg_recv on the other's socket would crash."""
import ctypes.util
import glob
import os

import pytest

zmq = pytest.importorskip("zmq")

from _subproc import assert_ok, describe, run_in_subprocess


def _system_libzmq():
    for pattern in ("/usr/lib/*/libzmq.so.5", "/usr/lib/libzmq.so.5",
                    "/usr/lib64/libzmq.so.5", "/usr/local/lib/libzmq.so.5"):
        found = glob.glob(pattern)
        if found:
            return found[0]
    name = ctypes.util.find_library("zmq")
    return name


CODE = r"""
import ctypes, os, sys
first = ctypes.CDLL(%(lib)r, mode=%(mode)s)   # before pyzmq
import zmq
from actors._backend import core
assert core._zmq_fast(), "no C receive path"
used = os.path.realpath(core._zmq_fast_path())
# the copy pyzmq itself calls: where its context's functions live
print("system", os.path.realpath(%(lib)r) == used)
ctx = zmq.Context()
r = ctx.socket(zmq.ROUTER); r.bind("inproc://x")
d = ctx.socket(zmq.DEALER); d.routing_id = b"me"; d.connect("inproc://x")
d.send(b"hello")
r.poll(2000)
items, stopped = core._zmq_recv_burst(r.underlying, 10)
print(items, stopped)
d.close(0); r.close(0); ctx.term()
"""


@pytest.mark.parametrize("mode", ["RTLD_LOCAL", "RTLD_GLOBAL"])
def test_c_receive_path_uses_pyzmqs_libzmq_beside_the_systems(mode):
    """RTLD_LOCAL: pyzmq calls its wheel's copy; RTLD_GLOBAL: the system's
    copy comes first in the global scope and pyzmq's calls bind to it."""
    lib = _system_libzmq()
    if lib is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: no system libzmq (Debian package libzmq5; "
                        "see .ci/debian-packages.txt)")
        pytest.skip("no system libzmq here (apt-get install libzmq5)")
    pyzmq_libs = glob.glob(os.path.join(os.path.dirname(zmq.__file__),
                                        os.pardir, "pyzmq.libs", "libzmq*"))
    if not pyzmq_libs:
        pytest.skip("this pyzmq uses the system libzmq itself: "
                    "there is only one copy")
    proc = run_in_subprocess(CODE % {"lib": lib,
                                     "mode": "ctypes." + mode}, timeout=60)
    assert_ok(proc)
    lines = proc.stdout.splitlines()
    assert lines[0] == "system %s" % (mode == "RTLD_GLOBAL"), describe(proc)
    assert lines[1] == "[(b'me', b'hello')] False", describe(proc)
