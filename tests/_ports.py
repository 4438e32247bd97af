"""A free TCP port on loopback (bound and released: another process may
take it in between, so callers bind it at once)."""
import socket


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
