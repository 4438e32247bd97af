"""A TCP chat server: one actor per connection, a registry of rooms.

    python examples/chat_server.py [--port 7000]

then, from other terminals, ``nc 127.0.0.1 7000`` and type ``/nick ann``,
``/join lobby``, and lines to say to the room (``/quit`` to leave).

Sockets are non-blocking and waited on with wait_readable/wait_writable, so
one scheduler thread serves every connection.  Each connection has an actor
that owns its state and writes to its socket, and a linked reader that
turns bytes into lines.  The rooms are one class actor, registered as
"rooms", that monitors its members: a client that disconnects (or whose
actor crashes) leaves its room.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys

import actors


class Rooms(actors.Actor):
    """room -> {member pid: nick}; answers asks, broadcasts lines."""

    def __init__(self) -> None:
        self.rooms: dict[str, dict[actors.Pid, str]] = {}
        self.watched: set[actors.Pid] = set()

    def receive(self, msg: object) -> list[str] | None:
        match msg:
            case ("join", str(room), str(nick), actors.Pid() as pid):
                if pid not in self.watched:
                    self.watched.add(pid)
                    actors.monitor(pid)
                self.leave(pid)
                self.say(room, "* %s joined %s" % (nick, room), pid)
                members = self.rooms.setdefault(room, {})
                members[pid] = nick
                return sorted(members.values())
            case ("say", str(line), actors.Pid() as pid):
                for room, members in self.rooms.items():
                    if pid in members:
                        self.say(room, "%s: %s" % (members[pid], line), pid)
            case actors.Down(pid=pid):
                self.watched.discard(pid)
                self.leave(pid)
        return None

    def leave(self, pid: actors.Pid) -> None:
        for room, members in list(self.rooms.items()):
            nick = members.pop(pid, None)
            if nick is not None:
                self.say(room, "* %s left %s" % (nick, room), pid)
            if not members:
                del self.rooms[room]

    def say(self, room: str, line: str, sender: actors.Pid) -> None:
        for pid in self.rooms.get(room, {}):
            if pid != sender:
                pid.send(("out", line))


def reader(sock: socket.socket, owner: actors.Pid) -> None:
    """Send the connection's actor each line the client types, then
    ("closed",) when the client goes."""
    buf = b""
    while True:
        actors.wait_readable(sock)
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:
            owner.send(("closed",))
            return
        *lines, buf = (buf + data).split(b"\n")
        for line in lines:
            owner.send(("line", line.decode("utf-8", "replace").strip()))


def write(sock: socket.socket, wfd: int, text: str) -> None:
    data = (text + "\n").encode()
    while data:
        try:
            data = data[sock.send(data):]
        except BlockingIOError:
            # The reader waits for this socket's fd to be readable: this
            # actor waits on a duplicate of it (one waiter per fd).
            actors.wait_writable(wfd)


def connection(sock: socket.socket) -> None:
    sock.setblocking(False)
    wfd = os.dup(sock.fileno())
    read = actors.spawn_link(reader, sock, actors.self())
    nick = "guest-%d" % actors.self().id
    try:
        write(sock, wfd, "welcome %s: /nick NAME, /join ROOM, /quit" % nick)
        while True:
            match actors.receive():
                case ("out", str(text)):
                    write(sock, wfd, text)
                case ("line", "/quit") | ("closed",):
                    return
                case ("line", str(line)) if line.startswith("/nick "):
                    nick = line[6:].strip() or nick
                    write(sock, wfd, "* you are %s" % nick)
                case ("line", str(line)) if line.startswith("/join "):
                    room = line[6:].strip()
                    members = actors.ask("rooms", ("join", room, nick,
                                                   actors.self()))
                    write(sock, wfd, "* you joined %s: %s"
                          % (room, ", ".join(members)))
                case ("line", str(line)) if line:
                    actors.send("rooms", ("say", line, actors.self()))
    finally:
        # End the reader before the socket closes under its wait.
        actors.unlink(read)
        ref = actors.monitor(read)
        actors.exit(read, "kill")
        actors.receive(lambda m: isinstance(m, actors.Down) and m.ref == ref)
        os.close(wfd)
        sock.close()


def serve(port: int) -> None:
    actors.register("rooms", actors.spawn(Rooms))
    listener = socket.create_server(("127.0.0.1", port))
    listener.setblocking(False)
    print("listening on 127.0.0.1:%d" % listener.getsockname()[1],
          flush=True)
    while True:
        actors.wait_readable(listener)
        try:
            sock, _ = listener.accept()
        except BlockingIOError:
            continue
        actors.spawn(connection, sock)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=7000, help="0: any free one")
    try:
        actors.run(serve, ap.parse_args().port)
    except KeyboardInterrupt:
        print("stopped", flush=True)
        sys.exit(0)
