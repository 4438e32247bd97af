"""No native core, no less product: the greenlet backend is the whole runtime.

Where the native core cannot be built (an unsupported CPython, PyPy, a
platform without a switch stub, ACTORS_BUILD_NATIVE=0), ``pip install .``
still succeeds and ``import actors`` gives spawn, receive, ask, links,
monitors, supervisors and clusters, on actors._core_greenlet.  These tests
run the product on that backend in fresh interpreters (ACTORS_BACKEND=
greenlet: the same extension an ACTORS_BUILD_NATIVE=0 install uses), and
check that the build says what it built.
"""
import os
import subprocess
import sys

import pytest

import actors
from _subproc import TESTS_DIR, describe, run_in_subprocess
from _ports import free_port

ROOT = os.path.dirname(TESTS_DIR)
GREENLET = {"ACTORS_BACKEND": "greenlet", "ACTORS_REQUIRE_NATIVE": None}


RUNTIME_SCRIPT = r"""
import warnings
warnings.simplefilter("error")            # no warning on a chosen backend
import actors
assert actors.BACKEND == "greenlet", actors.BACKEND
assert actors._core.__name__ == "actors._core_greenlet"
import greenlet
assert actors.Tasklet is greenlet.greenlet

class Doubler(actors.Actor):
    def receive(self, msg):
        if msg == "boom":
            raise ValueError("boom")
        return msg * 2

def echo():
    while True:
        m = actors.receive()
        if isinstance(m, actors.Request):
            m.reply(("echo", m.msg))
        elif m == "stop":
            return

def crash():
    actors.receive()
    raise RuntimeError("crashed")

def child(tag):
    actors.register(tag, actors.self())
    while True:
        m = actors.receive()
        if isinstance(m, actors.Request):
            m.reply(tag)

def main():
    p = actors.spawn(echo)
    assert actors.ask(p, 1) == ("echo", 1)
    assert actors.receive(timeout=0.01, default="none") == "none"
    d = actors.spawn(Doubler)
    assert actors.ask(d, 21) == 42
    try:
        actors.ask(d, "boom")
    except ValueError:
        pass
    else:
        raise AssertionError("the handler's exception must reach the asker")
    # monitor
    c = actors.spawn(crash)
    ref = actors.monitor(c)
    actors.send(c, "go")
    down = actors.receive(actors.Down, timeout=5)
    assert down.ref == ref and isinstance(down.reason, RuntimeError)
    # link, trapped
    actors.trap_exits(True)
    c = actors.spawn(crash)
    actors.link(c)
    actors.send(c, "go")
    ex = actors.receive(actors.Exit, timeout=5)
    assert ex.pid == c and isinstance(ex.reason, RuntimeError)
    # supervisor: a crashed child is restarted
    sup = actors.Supervisor([actors.ChildSpec(child, args=("kid",),
                                              id="c")]).start_link()
    first = actors.whereis("kid")
    actors.exit(first, "kill")
    for _ in range(200):
        again = actors.whereis("kid")
        if again is not None and again != first:
            break
        actors.sleep(0.01)
    assert again is not None and again != first
    assert actors.ask("kid", "who") == "kid"
    actors.exit(sup, "shutdown")
    actors.send(p, "stop")
    return "ok"

print(actors.run(main))
"""


def test_runtime_on_greenlet():
    """spawn, receive, ask, class-style actors, monitor, link, Supervisor."""
    proc = run_in_subprocess(RUNTIME_SCRIPT, timeout=120, env=GREENLET)
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.strip().endswith("ok"), describe(proc)


NODE_B = r"""
import sys, actors
from actors import NodeConfig

def serve():
    actors.register("svc", actors.self(), scope="cluster")
    print("ready", flush=True)
    while True:
        m = actors.receive()
        if isinstance(m, actors.Request):
            if m.msg == "stop":
                m.reply("bye")
                return
            m.reply(("b", actors.BACKEND, m.msg))

actors.run(serve, node=NodeConfig(name="b", listen=sys.argv[1],
                                  cookie="secret", join_timeout=None))
"""

NODE_A = r"""
import sys, time, actors
from actors import NodeConfig
assert actors.BACKEND == "greenlet"

def main():
    for _ in range(500):
        pid = actors.whereis("svc")
        if pid is not None:
            break
        actors.sleep(0.02)
    assert pid is not None, "no cluster name from node b"
    assert pid.node != 0
    assert actors.ask("svc", 7) == ("b", "greenlet", 7)
    ref = actors.monitor(pid)
    assert actors.ask(pid, "stop") == "bye"
    down = actors.receive(lambda m: isinstance(m, actors.Down) and
                          m.ref == ref, timeout=10)
    assert down.pid == pid
    return "ok"

print(actors.run(main, node=NodeConfig(name="a", listen=sys.argv[1],
                                       seeds=(sys.argv[2],),
                                       cookie="secret")))
"""


def test_two_node_cluster_on_greenlet(tmp_path):
    """run(node=...) and register(scope="cluster") reach the node layer
    through the core's hooks; ask and monitor cross the nodes."""
    a_addr = "tcp://127.0.0.1:%d" % free_port()
    b_addr = "tcp://127.0.0.1:%d" % free_port()
    env = dict(os.environ, ACTORS_BACKEND="greenlet")
    env.pop("ACTORS_REQUIRE_NATIVE", None)
    b = subprocess.Popen([sys.executable, "-c", NODE_B, b_addr], cwd=TESTS_DIR,
                         env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert b.stdout.readline().strip() == "ready", b.stderr.read()
        a = subprocess.run([sys.executable, "-c", NODE_A, a_addr, b_addr],
                           cwd=TESTS_DIR, env=env, capture_output=True,
                           text=True, timeout=120)
        assert a.returncode == 0, describe(a)
        assert a.stdout.strip() == "ok"
        b.wait(timeout=30)
    finally:
        if b.poll() is None:
            b.kill()
            b.wait()


def test_core_knows_nothing_of_the_network():
    """The compiled runtime does not import the cluster layer (nor zmq):
    run(node=...) without a node runner plugged in is refused."""
    proc = run_in_subprocess(r"""
        import sys
        import actors
        core = actors._core
        assert "actors._cluster" not in sys.modules
        assert "zmq" not in sys.modules
        core._set_node_runner(None)
        try:
            core.run(lambda: None, node=object())
        except core.ActorError as e:
            assert "cluster layer" in str(e)
        else:
            raise AssertionError("run(node=...) ran without a node layer")
        try:
            core.run(lambda: core.register("x", core.self(), scope="cluster"))
        except core.ActorError as e:
            assert "no cluster node" in str(e)
        assert "actors._cluster" not in sys.modules
        print("ok")
        """, env=GREENLET)
    assert proc.returncode == 0, describe(proc)
    for name in ("_core_greenlet", "_core"):
        for src in ("api.pxi", "process.pxi", "scheduler.pxi", "remote.pxi"):
            with open(os.path.join(ROOT, "cython_src", src)) as f:
                assert "import actors" not in f.read()


def test_backend_choice_and_refusal():
    """ACTORS_REQUIRE_NATIVE=1 never falls back quietly."""
    native = run_in_subprocess("import actors._core",
                               env={"ACTORS_BACKEND": None})
    proc = run_in_subprocess("import actors; print(actors.BACKEND)",
                             env={"ACTORS_BACKEND": None,
                                  "ACTORS_REQUIRE_NATIVE": "1"})
    if native.returncode == 0:
        assert proc.stdout.strip() == "native", describe(proc)
    else:
        assert proc.returncode != 0 and "ImportError" in proc.stderr, \
            describe(proc)


@pytest.mark.slow
def test_build_without_native_prints_what_it_built(tmp_path):
    """ACTORS_BUILD_NATIVE=0: the build builds the greenlet runtime only,
    says so and why, and records it for import."""
    if not os.path.exists(os.path.join(ROOT, "setup.py")):
        pytest.skip("no source tree next to the tests")
    env = dict(os.environ, ACTORS_BUILD_NATIVE="0")
    proc = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--build-lib",
         str(tmp_path / "lib"), "--build-temp", str(tmp_path / "tmp")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, describe(proc)
    out = proc.stdout
    assert "native core NOT built: ACTORS_BUILD_NATIVE=0" in out, out
    assert "built the greenlet runtime actors._core_greenlet" in out, out
    assert "actors.BACKEND will be 'greenlet'" in out, out
    built = os.listdir(tmp_path / "lib" / "actors")
    assert any(n.startswith("_core_greenlet.") for n in built), built
    assert not any(n.startswith("_core.") for n in built), built
    info = {}
    exec(open(tmp_path / "lib" / "actors" / "_buildinfo.py").read(), info)
    assert info["BUILT"]["native"] is False
    assert info["BUILT"]["native_why"] == "ACTORS_BUILD_NATIVE=0"


def test_install_reports_its_build():
    """The installed package knows what its build made."""
    try:
        from actors._buildinfo import BUILT
    except ImportError:
        pytest.skip("running from a source tree without a build record")
    assert BUILT["greenlet"] is True
    if actors.BACKEND == "native":
        assert BUILT["native"] is True


@pytest.mark.native_only(reason="the native core's version check")
def test_native_core_refuses_another_patch_release():
    """A core built for one CPython patch release refuses another (layouts
    move inside a series), naming both versions and the fix; without
    ACTORS_REQUIRE_NATIVE the package falls back to the greenlet runtime."""
    pretend = """
        import sys
        real = sys.version_info
        sys.version_info = (real[0], real[1], real[2] + 1, "final", 0)
    """
    proc = run_in_subprocess(pretend + """
        try:
            import actors._core
        except ImportError as e:
            print("refused:", e)
    """, env={"ACTORS_BACKEND": None})
    assert proc.returncode == 0, describe(proc)
    built = "%d.%d.%d" % sys.version_info[:3]
    other = "%d.%d.%d" % (sys.version_info[0], sys.version_info[1],
                          sys.version_info[2] + 1)
    out = proc.stdout
    assert out.startswith("refused:"), describe(proc)
    assert built in out and other in out and "rebuild" in out, out
    proc = run_in_subprocess(pretend + """
        import warnings
        warnings.simplefilter("ignore")
        import actors

        class Double(actors.Actor):
            def receive(self, x):
                return 2 * x

        print(actors.BACKEND,
              actors.run(lambda: actors.ask(actors.spawn(Double), 7)))
    """, env={"ACTORS_BACKEND": None, "ACTORS_REQUIRE_NATIVE": None})
    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.split() == ["greenlet", "14"], describe(proc)
    proc = run_in_subprocess(pretend + "    import actors\n",
                             env={"ACTORS_BACKEND": None,
                                  "ACTORS_REQUIRE_NATIVE": "1"})
    assert proc.returncode != 0 and "rebuild" in proc.stderr, describe(proc)
