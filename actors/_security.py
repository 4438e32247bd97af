"""Who may talk to a node: CURVE keys and the ZAP handler.

Modes (NodeConfig.security):

- "cookie" (the default): one secret shared by the cluster, from
  NodeConfig.cookie, NodeConfig.cookie_file or the environment
  (ACTORS_COOKIE, ACTORS_COOKIE_FILE).  The cluster's CURVE keypair is
  derived from it deterministically; every node serves with that key and
  connects with it, and the ZAP handler admits only clients presenting the
  cluster's public key.  A peer without the cookie fails the handshake (it
  does not even know the server key) and never delivers a frame.
- "certs": per-node keys in a certificate directory (the layout
  zmq.auth.create_certificates writes): DIR/<node>.key_secret holds this
  node's keypair, DIR/*.key the public keys of every node admitted.  Each
  node serves with its own key; a peer's server key is the one it announced
  (trusted, since it came over an authenticated connection) or, for a seed
  written "name@tcp://...", DIR/name.key.
- "none": plain TCP, no authentication.  Anything that can reach the port
  can make the node unpickle what it sends: only for trusted networks.
  Allowed on loopback (and ipc://, inproc://) addresses; anywhere else only
  with NodeConfig(insecure=True) (actors node --insecure), see
  check_exposure.

The ZAP protocol (RFC 27): a handler bound at inproc://zeromq.zap.01 in the
sockets' context gets [version, request_id, domain, address, identity,
mechanism, credentials...] and answers [version, request_id, status_code,
status_text, user_id, metadata].  Ours runs as an actor of the node (see
_cluster), driven by the same zmq.FD rules as the inbox.
"""
from __future__ import annotations

import glob
import hashlib
import ipaddress
import os

import zmq
import zmq.auth
import zmq.utils.z85

ZAP_ENDPOINT = "inproc://zeromq.zap.01"
ZAP_DOMAIN = b"actors"
_KEY_DOMAIN = b"actors-cluster-cookie-v1\0"


class SecurityError(Exception):
    """A node cannot start with the security it was configured with."""


def load_cookie(cookie=None, cookie_file=None):
    """The cluster cookie as bytes: given, read from a file, or from the
    environment (ACTORS_COOKIE, then ACTORS_COOKIE_FILE).  Raises
    SecurityError when there is none."""
    if cookie is not None:
        c = cookie.encode() if isinstance(cookie, str) else bytes(cookie)
        where = "NodeConfig.cookie"
    else:
        path = cookie_file or os.environ.get("ACTORS_COOKIE_FILE")
        if path:
            try:
                with open(path, "rb") as f:
                    c = f.read().strip()
            except OSError as e:
                raise SecurityError("cannot read the cookie file %s: %s"
                                    % (path, e.strerror or e)) from None
            where = "cookie file %s" % path
        elif os.environ.get("ACTORS_COOKIE"):
            c = os.environ["ACTORS_COOKIE"].encode()
            where = "ACTORS_COOKIE"
        else:
            raise SecurityError(
                "no cluster cookie: give NodeConfig(cookie=...) or "
                "cookie_file=PATH, or set ACTORS_COOKIE or ACTORS_COOKIE_FILE "
                "(or security='none' on a trusted network)")
    if not c:
        raise SecurityError("the cluster cookie (%s) is empty" % where)
    return c


def is_loopback(endpoint):
    """True when a ZeroMQ bind address can be reached only from this
    machine: ipc://, inproc://, or tcp:// on a loopback host."""
    transport, sep, rest = str(endpoint).partition("://")
    if not sep:
        return False
    if transport in ("ipc", "inproc"):
        return True
    if transport != "tcp":
        return False
    host = rest.rpartition(":")[0]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False                  # "*", an interface name, a hostname


def check_exposure(mode, listen, insecure=False):
    """security="none" binds with no authentication: whoever reaches the
    port can make the node unpickle its frames (and so run code).  That is
    accepted on loopback only, unless the user said insecure=True."""
    if insecure not in (True, False):
        raise SecurityError("NodeConfig(insecure=...) is True or False, not "
                            "%r" % (insecure,))
    if mode == "none" and not insecure and not is_loopback(listen):
        raise SecurityError(
            "security='none' on %s, which is not a loopback address: anyone "
            "who can reach it could run code on this node.  Use "
            "security='cookie' or 'certs', listen on 127.0.0.1, or accept "
            "the risk with NodeConfig(insecure=True) (actors node "
            "--insecure)" % (listen,))


def cookie_keypair(cookie: bytes):
    """(public, secret), Z85-encoded: the cluster's CURVE keypair, the same
    on every node that has the cookie."""
    secret = hashlib.sha256(_KEY_DOMAIN + cookie).digest()
    secret_z85 = zmq.utils.z85.encode(secret)
    return zmq.curve_public(secret_z85), secret_z85


class Security:
    """The keys of one node and the rule the ZAP handler applies."""

    def __init__(self, mode="cookie", cookie=None, cookie_file=None,
                 cert_dir=None, name=None):
        if mode not in ("cookie", "certs", "none"):
            raise SecurityError("security is 'cookie', 'certs' or 'none', "
                                "not %r" % (mode,))
        self.mode = mode
        self.public = self.secret = None
        self.admitted = set()             # raw 32-byte client public keys
        self.names = {}                   # certs: raw key -> node name
        self.keys = {}                    # certs: node name -> raw key
        self.cert_dir = cert_dir
        if mode == "none":
            return
        if not zmq.has("curve"):
            raise SecurityError("this libzmq has no CURVE support")
        if mode == "cookie":
            self.public, self.secret = cookie_keypair(
                load_cookie(cookie, cookie_file))
            self.admitted.add(zmq.utils.z85.decode(self.public))
            return
        if not cert_dir or not os.path.isdir(cert_dir):
            raise SecurityError("security='certs' needs cert_dir, a directory "
                                "of certificates (got %r)" % (cert_dir,))
        own = os.path.join(cert_dir, "%s.key_secret" % name)
        if not os.path.exists(own):
            raise SecurityError("no certificate for node %r: %s is missing "
                                "(zmq.auth.create_certificates(dir, %r) "
                                "makes one)" % (name, own, name))
        self.public, self.secret = zmq.auth.load_certificate(own)
        for path in sorted(glob.glob(os.path.join(cert_dir, "*.key"))):
            try:
                pub, _ = zmq.auth.load_certificate(path)
                raw = zmq.utils.z85.decode(pub)
            except Exception:
                continue
            self.admitted.add(raw)
            self._bind_name(os.path.basename(path)[:-len(".key")], raw,
                            cert_dir)
        if zmq.utils.z85.decode(self.public) not in self.admitted:
            raise SecurityError("%s.key (this node's public key) is not in "
                                "%s" % (name, cert_dir))

    def _bind_name(self, name, raw, cert_dir):
        """Certs mode: DIR/<name>.key names the node that holds the key.
        One key under two names would let its holder be either."""
        other = self.names.get(raw)
        if other is not None:
            raise SecurityError("%s.key and %s.key in %s hold the same key: "
                                "a certificate names one node"
                                % (other, name, cert_dir))
        self.names[raw] = name
        self.keys[name] = raw

    def key_matches(self, name, public_z85):
        """Certs mode: is public_z85 the key of node name's certificate?"""
        try:
            raw = zmq.utils.z85.decode(public_z85)
        except Exception:
            return False
        return self.keys.get(name) == raw

    @property
    def binds_names(self):
        """True when a peer's name is bound to its key (certs mode): the
        inbox then tags each frame with the name ZAP gave its key."""
        return self.mode == "certs"

    @property
    def enabled(self):
        return self.mode != "none"

    def admits_key(self, public_z85):
        """May a peer that announced this server key be connected to?"""
        if not self.enabled:
            return True
        try:
            return zmq.utils.z85.decode(public_z85) in self.admitted
        except Exception:
            return False

    def seed_server_key(self, seed_name):
        """The server key to connect to a seed with (None: unknown)."""
        if self.mode == "cookie":
            return self.public
        if self.mode == "certs" and seed_name:
            path = os.path.join(self.cert_dir, "%s.key" % seed_name)
            if os.path.exists(path):
                        return zmq.auth.load_certificate(path)[0]
        return None

    # -- sockets ----------------------------------------------------------

    def setup_server(self, sock):
        if not self.enabled:
            return
        sock.curve_secretkey = self.secret
        sock.curve_publickey = self.public
        sock.curve_server = True
        sock.zap_domain = ZAP_DOMAIN

    def setup_client(self, sock, server_key):
        if not self.enabled:
            return
        sock.curve_secretkey = self.secret
        sock.curve_publickey = self.public
        sock.curve_serverkey = server_key

    # -- ZAP --------------------------------------------------------------

    def zap_reply(self, frames):
        """The reply frames to one ZAP request (a list of bytes), or None if
        it is not a ZAP request at all."""
        if len(frames) < 6:
            return None
        version, request_id, domain, _address, _identity, mechanism = \
            frames[:6]
        creds = frames[6:]
        ok = (version == b"1.0" and mechanism == b"CURVE" and
              len(creds) == 1 and creds[0] in self.admitted)
        if ok:
            # The User-Id tags every frame of the connection: in certs mode
            # the name of the node whose certificate holds the key.
            user = self.names.get(creds[0])
            user = user.encode() if user is not None else \
                zmq.utils.z85.encode(creds[0])
            return [b"1.0", request_id, b"200", b"OK", user, b""]
        return [b"1.0", request_id, b"400", b"not a member of this cluster",
                b"", b""]
