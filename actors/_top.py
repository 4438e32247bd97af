"""`actors top`: a live terminal view of a process's actors, like Erlang's
etop.  It reads an actors.observe() socket (a plain program that opted
in, or a node started with `actors node --observe`), or a cluster node
over ZeroMQ with the cluster's cookie (--node ADDRESS: as an observer,
not a member of the cluster): a header (node, uptime, actors, run queue,
memory, messages/s, scheduler utilisation) and a table sorted by a column,
refreshed every interval.

The ZeroMQ side is in actors._observe_net.  Keys: r p m M a sort by reductions, pid, mailbox, memory, age; up/down
select a row; Enter shows the selected actor's stack (any key returns);
Tab switches to the next target; n moves to the next node of the cluster
the observed node knows (--node targets); q quits.  --once prints one
screen (the rates over --interval) and exits, for scripts."""
import argparse
import curses
import os
import sys
import time

from actors._observer import SORT_KEYS, default_path, request
from actors._observe_net import AttachError

_ERRORS = (OSError, RuntimeError, ValueError, AttachError)

KEYS = {ord("r"): "reductions", ord("p"): "pid", ord("m"): "mailbox",
        ord("M"): "memory", ord("a"): "age"}
COLUMNS = (("PID", 12, "pid"), ("NAME", 28, "name"), ("STATUS", 20,
           "status"), ("REDS", 10, "reductions"), ("MBOX", 7, "mailbox"),
           ("MEMORY", 9, "memory"), ("CURRENT", 0, "current"))


def _size(n):
    for unit in ("B", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return ("%d%s" % (n, unit)) if unit == "B" else \
                ("%.1f%s" % (n, unit))
        n /= 1024.0


def _uptime(s):
    s = int(s)
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


class _Unix:
    """The connection to an actors.observe() socket."""

    def __init__(self, path):
        self.path = path

    def request(self, req):
        return request(self.path, req)

    def close(self):
        pass


class Target:
    """One observed process and the last snapshot, for rates."""

    def __init__(self, conn):
        self.conn = conn
        self.path = conn.path
        self.last = None
        self.nodes = None                 # a cluster node's members

    def snapshot(self, sort, rows):
        snap = self.conn.request({"op": "snapshot", "sort": sort,
                                  "rows": rows})
        self.nodes = snap.get("nodes")
        h = snap["header"]
        prev, self.last = self.last, h
        if prev is None:
            h["msgs_per_s"] = None
            h["utilisation"] = None
        else:
            dt = max(1e-9, h["time"] - prev["time"])
            h["msgs_per_s"] = (h["sent"] - prev["sent"]) / dt
            span = (h["busy"] - prev["busy"]) + (h["idle"] - prev["idle"])
            h["utilisation"] = None if span <= 0 else \
                (h["busy"] - prev["busy"]) / span
        return snap

    def stack(self, pid):
        return self.conn.request({"op": "stack", "pid": pid})

    def close(self):
        self.conn.close()


def _cluster_line(nodes, current):
    if not nodes:
        return ""
    return "cluster: " + "  ".join(
        ("[%s]" if m["name"] == current else "%s") % m["name"]
        for m in nodes)


def next_node(nodes, current):
    """The member after current (by name, wrapping), or None alone."""
    others = [m for m in nodes or () if m["name"] != current]
    if not others:
        return None
    later = [m for m in others if m["name"] > current]
    return (later or others)[0]


def render(snap, width=120, selected=None, targets=1, index=0):
    """The screen as lines of text."""
    h = snap["header"]
    rate = "-" if h["msgs_per_s"] is None else "%.0f" % h["msgs_per_s"]
    util = "-" if h["utilisation"] is None else \
        "%.0f%%" % (100 * h["utilisation"])
    lines = [
        "actors top  node %s (pid %d)%s  uptime %s" % (
            h["node"], h["os_pid"],
            "  [%d/%d]" % (index + 1, targets) if targets > 1 else "",
            _uptime(h["uptime"])),
        "actors %d  run queue %d  memory %s  msgs/s %s  scheduler %s "
        "(%d)  spawned %d" % (h["actors"], h["run_queue"],
                              _size(h["memory"]), rate, util,
                              h["schedulers"], h["spawned"]),
        "sort: %s   keys: r p m M a sort, up/down, Enter stack, Tab next, "
        "%sq quit" % (h["sort"], "n node, " if snap.get("nodes") else ""),
        _cluster_line(snap.get("nodes"), h["node"]),
    ]
    head = ""
    for title, w, _ in COLUMNS:
        head += title.ljust(w) if w else title
    lines.append(head[:width])
    for i, row in enumerate(snap["rows"]):
        cells = {"pid": "<%d.%d>" % tuple(row["pid"]),
                 "name": str(row["name"]), "status": row["status"],
                 "reductions": str(row["reductions"]),
                 "mailbox": str(row["mailbox"]),
                 "memory": _size(row["memory"]), "current": row["current"]}
        line = ""
        for _, w, key in COLUMNS:
            text = cells[key]
            line += (text[:w - 1].ljust(w)) if w else text
        lines.append(("> " if i == selected else "") + line[:width])
    return lines


def once(targets, sort, rows, interval, out=None):
    out = out or sys.stdout
    for i, t in enumerate(targets):
        t.snapshot(sort, 0)
        time.sleep(interval)
        snap = t.snapshot(sort, rows)
        out.write("\n".join(render(snap, 200, None, len(targets), i)) + "\n")
    out.flush()
    return 0


def _show_stack(scr, target, row):
    data = target.stack(row["pid"])
    scr.erase()
    height, width = scr.getmaxyx()
    text = ["stack of <%d.%d> %s  (any key returns)" % (
        row["pid"][0], row["pid"][1], row["name"]), ""]
    if data.get("stack") is None:
        text.append("(it has ended)")
    else:
        info = data["info"]
        text.append("status %s  mailbox %d  reductions %d  memory %s  "
                    "links %s  monitors %s  trap_exits %s" % (
                        info["status"], info["mailbox"], info["reductions"],
                        _size(info["memory"]), ", ".join(info["links"]) or
                        "-", ", ".join(info["monitors"]) or "-",
                        info["trap_exits"]))
        text.append("")
        text.extend(data["stack"].splitlines())
    for y, line in enumerate(text[:height - 1]):
        scr.addstr(y, 0, line[:width - 1])
    scr.refresh()
    scr.timeout(-1)
    scr.getch()


def _loop(scr, targets, sort, rows, interval, attach=None):
    curses.curs_set(0)
    index = 0
    selected = 0
    snap = notice = None
    next_at = 0.0
    while True:
        height, width = scr.getmaxyx()
        now = time.monotonic()
        if now >= next_at or snap is None:
            try:
                snap = targets[index].snapshot(sort, max(1, min(rows,
                                                                height - 6)))
                error = None
            except _ERRORS as e:
                snap, error = None, str(e)
            next_at = now + interval
        scr.erase()
        if snap is None:
            lines = ["actors top: %s: %s" % (targets[index].path, error)]
        else:
            selected = max(0, min(selected, len(snap["rows"]) - 1))
            lines = render(snap, width - 1, selected, len(targets), index)
            if notice:
                lines[3] = notice
        for y, line in enumerate(lines[:height - 1]):
            attr = curses.A_REVERSE if line.startswith("> ") else 0
            scr.addstr(y, 0, line[:width - 1], attr)
        scr.refresh()
        scr.timeout(max(10, int((next_at - time.monotonic()) * 1000)))
        key = scr.getch()
        if key in (ord("q"), 27):
            return 0
        if key in KEYS:
            sort = KEYS[key]
            next_at = 0.0
        elif key == curses.KEY_DOWN:
            selected += 1
        elif key == curses.KEY_UP:
            selected = max(0, selected - 1)
        elif key == ord("\t"):
            index = (index + 1) % len(targets)
            selected, next_at = 0, 0.0
        elif key == ord("n") and attach is not None and snap:
            member = next_node(targets[index].nodes, snap["header"]["node"])
            if member is not None:
                try:
                    new = Target(attach(member))
                except _ERRORS as e:
                    notice = "cannot move to %s: %s" % (member["name"], e)
                else:
                    targets[index].close()
                    targets[index] = new
                    snap = notice = None
                selected, next_at = 0, 0.0
        elif key in (curses.KEY_ENTER, 10, 13) and snap and snap["rows"]:
            try:
                _show_stack(scr, targets[index], snap["rows"][selected])
            except _ERRORS as e:
                snap, error = None, str(e)
            next_at = 0.0


def _path(target):
    if target.isdigit():
        return default_path(int(target))
    return target


def _security(opts):
    """The Security to attach with: the cookie or certificate options of
    `actors node` (see _nodecli.add_security_options), plus --cookie."""
    from actors import _security
    return _security.Security(opts.security, opts.cookie, opts.cookie_file,
                              opts.cert_dir, opts.cert)


def _node_attach(sec, timeout):
    from actors._observe_net import NodeTarget

    def attach(member):
        return NodeTarget(member["addr"], sec, member.get("key"), timeout,
                          member.get("name"))
    return attach


def main(argv=None):
    from actors._nodecli import add_security_options
    ap = argparse.ArgumentParser(
        prog="actors top", description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", metavar="TARGET",
                    help="an OS pid (its default observe() socket) or a "
                         "socket path; several: Tab switches")
    ap.add_argument("--node", action="append", default=[],
                    metavar="ADDRESS",
                    help="a cluster node's ZeroMQ address, e.g. "
                         "tcp://127.0.0.1:7001 (NAME@ADDRESS with --security "
                         "certs), observed with the cluster's cookie "
                         "without joining it (repeatable)")
    ap.add_argument("--cookie", metavar="SECRET",
                    help="the cluster secret (visible to `ps`: prefer "
                         "--cookie-file or ACTORS_COOKIE)")
    add_security_options(ap)
    ap.add_argument("--cert", metavar="NAME",
                    help="--security certs: attach with DIR/NAME.key_secret")
    ap.add_argument("--timeout", type=float, default=5.0, metavar="S",
                    help="seconds to wait for a node's answer (default 5)")
    ap.add_argument("--sort", choices=SORT_KEYS, default="reductions")
    ap.add_argument("--rows", type=int, default=30)
    ap.add_argument("--interval", type=float, default=2.0,
                    help="seconds between refreshes (default 2)")
    ap.add_argument("--once", action="store_true",
                    help="print one screen and exit")
    args = ap.parse_args(argv)
    if not args.interval > 0:
        ap.error("--interval must be > 0")
    if not args.timeout > 0:
        ap.error("--timeout must be > 0")
    if not args.targets and not args.node:
        ap.error("give a TARGET or --node ADDRESS")
    paths = [_path(t) for t in args.targets]
    for p in paths:
        if not os.path.exists(p):
            print("actors top: %s: no such socket (did the program call "
                  "actors.observe()?)" % p, file=sys.stderr)
            return 2
    targets = [Target(_Unix(p)) for p in paths]
    attach = None
    if args.node:
        from actors._security import SecurityError
        try:
            attach = _node_attach(_security(args), args.timeout)
            for addr in args.node:
                name, _, addr = addr.rpartition("@")
                targets.append(Target(attach({"addr": addr,
                                              "name": name or None})))
        except (SecurityError,) + _ERRORS as e:
            print("actors top: %s" % e, file=sys.stderr)
            return 2
    try:
        if args.once:
            try:
                return once(targets, args.sort, args.rows, args.interval)
            except _ERRORS as e:
                print("actors top: %s" % e, file=sys.stderr)
                return 1
        return curses.wrapper(_loop, targets, args.sort, args.rows,
                              args.interval, attach)
    finally:
        for t in targets:
            t.close()
