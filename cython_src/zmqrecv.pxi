# A node's inbox read from C: each pyzmq call costs about a microsecond of
# Python work (an EVENTS reading builds an enum), a third of what a remote
# ask spends in the node per hop.  includes/zmq_fast.h finds the libzmq
# pyzmq loaded; without it the node keeps pyzmq's path (_transport).

import os

from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.errno cimport errno, EAGAIN
from libc.string cimport strerror

cdef extern from "zmq_fast.h":
    ctypedef struct actors_zmq_msg:
        pass
    int ACTORS_ZMQ_DONTWAIT
    int actors_zmq_load(const char *pyzmq_ext)
    const char *actors_zmq_path()
    int (*az_msg_init)(actors_zmq_msg *)
    int (*az_msg_recv)(actors_zmq_msg *, void *, int)
    int (*az_msg_close)(actors_zmq_msg *)
    void *(*az_msg_data)(actors_zmq_msg *)
    size_t (*az_msg_size)(const actors_zmq_msg *)
    int (*az_msg_more)(const actors_zmq_msg *)
    const char *(*az_msg_gets)(const actors_zmq_msg *, const char *)

cdef int zmq_fast_state = 0       # 1: the functions are loaded


cdef bytes pyzmq_extension_path():
    """The file of pyzmq's compiled backend, whose libzmq is the one to
    use (b"" if pyzmq has none: the CFFI backend)."""
    import sys
    for name in ("zmq.backend.cython._zmq", "zmq.backend.cython.socket"):
        mod = sys.modules.get(name)
        path = getattr(mod, "__file__", None)
        if path:
            return os.fsencode(path)
    return b""


def _zmq_fast():
    """True when the C receive path can be used (libzmq >= 4.1 loaded in
    this process, i.e. after `import zmq`)."""
    global zmq_fast_state
    cdef bytes ext
    if zmq_fast_state != 1:
        ext = pyzmq_extension_path()
        zmq_fast_state = actors_zmq_load(ext)
    return zmq_fast_state == 1


def _zmq_fast_path():
    """The libzmq the C receive path calls (a path), None if not loaded."""
    if zmq_fast_state != 1:
        return None
    return os.fsdecode(actors_zmq_path())


cdef object take(actors_zmq_msg *m):
    """The message's bytes; the message is closed whatever happens."""
    try:
        return PyBytes_FromStringAndSize(<char *>az_msg_data(m),
                                         <Py_ssize_t>az_msg_size(m))
    finally:
        az_msg_close(m)


def _zmq_recv_burst(size_t handle, int limit, bint user_ids=False):
    """Up to limit messages from a ROUTER (handle: pyzmq's
    Socket.underlying), never blocking.  Returns (items, stopped): items
    are (routing id, frame) pairs, frame None for a message that is not
    exactly one part after the id; stopped is True when it stopped at the
    limit (more may wait), False when it received until EAGAIN (so the
    socket's edge-triggered FD will signal what comes next).  user_ids:
    each routing id is prefixed with the frame's ZAP User-Id and a NUL
    byte (the routing id is the peer's choice; the User-Id is not)."""
    cdef actors_zmq_msg m
    cdef void *sock = <void *>handle
    cdef int n = 0, parts, more, err
    cdef const char *user
    if zmq_fast_state != 1:
        raise RuntimeError("the C receive path is not loaded (_zmq_fast())")
    if sock == NULL:
        raise ValueError("no socket")
    items = []
    while n < limit:
        az_msg_init(&m)
        if az_msg_recv(&m, sock, ACTORS_ZMQ_DONTWAIT) < 0:
            err = errno
            az_msg_close(&m)
            if err == EAGAIN:
                return items, False
            if items:
                return items, True        # the next call reports it
            raise OSError(err, strerror(err).decode("utf-8", "replace"))
        more = az_msg_more(&m)
        ident = take(&m)
        frame = None
        parts = 1
        while more:                       # a multipart message is atomic
            az_msg_init(&m)
            if az_msg_recv(&m, sock, ACTORS_ZMQ_DONTWAIT) < 0:
                az_msg_close(&m)
                parts = 0
                break
            parts += 1
            more = az_msg_more(&m)
            if parts == 2:
                if user_ids:
                    user = az_msg_gets(&m, "User-Id")
                    ident = (b"" if user == NULL else <bytes>user) + \
                        b"\0" + ident
                frame = take(&m)
            else:
                az_msg_close(&m)
        items.append((ident, frame if parts == 2 else None))
        n += 1
    return items, True
