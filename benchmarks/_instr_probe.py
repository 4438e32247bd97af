"""One workload of instr_versions.py, run N times (collector off).

    python _instr_probe.py [--valgrind] WORKLOAD IMPL N

--valgrind re-runs this script under cachegrind with the same interpreter,
so that valgrind runs where the interpreter does (inside a chroot too).
"""
import gc
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "peers"))


def switch(greenlet, getcurrent, n):
    def pong():
        back = ping.switch
        while True:
            back()

    def run_ping():
        to = pong_t.switch
        for _ in range(n):
            to()

    pong_t = greenlet(pong)
    ping = greenlet(run_ping)
    ping.switch()


def park(greenlet, getcurrent, n):
    back = getcurrent().switch

    def body():
        back()

    keep = []
    for _ in range(n):
        t = greenlet(body)
        t.switch()
        keep.append(t)
    return keep


def skynet_run(leaves):
    import actors
    from peer_actors import skynet     # the very actor bench_actors times

    def main():
        actors.spawn(skynet, actors.self(), 0, leaves)
        if actors.receive() != leaves * (leaves - 1) // 2:
            raise SystemExit("skynet: wrong sum")

    actors.run(main)


def pingpong_run(n):
    import actors
    from peer_actors import pong

    def main():
        me = actors.self()
        p = actors.spawn(pong)
        for _ in range(n):
            actors.send(p, me)
            actors.receive()
        actors.send(p, None)

    actors.run(main)


def main(argv):
    if argv[0] == "--valgrind":
        cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
               "--cachegrind-out-file=/dev/null", sys.executable,
               os.path.abspath(__file__)] + argv[1:]
        return subprocess.call(cmd)
    workload, impl, n = argv[0], argv[1], int(argv[2])
    gc.disable()
    if workload in ("switch", "park"):
        if impl == "greenlet":
            from greenlet import greenlet, getcurrent
        else:
            from actors._core import Tasklet as greenlet, getcurrent
        kept = globals()[workload](greenlet, getcurrent, n)  # noqa: F841
        if workload == "park":
            # Parked they stay, as bench_tasklet.py leaves them: killing
            # each at exit (a throw and an unwind) is not what is counted.
            os._exit(0)
    elif workload == "skynet":
        skynet_run(n)
    elif workload == "pingpong":
        pingpong_run(n)
    else:
        raise SystemExit("unknown workload %r" % workload)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
