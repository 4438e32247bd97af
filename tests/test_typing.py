"""The public API's types (actors/*.pyi): stubtest holds them to the built
module, mypy --strict accepts the examples and the README's code, and
rejects wrong calls.  mypy runs on the test interpreter."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

import actors

TESTS = pathlib.Path(__file__).resolve().parent
PACKAGE = pathlib.Path(actors.__file__).resolve().parent
ROOT = PACKAGE.parent                 # what holds the actors package
SOURCE = TESTS.parent                 # the checkout: examples/, README.md
TIMEOUT = 600


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("mypy-cache"))


def mypy_env():
    # An editable install reaches the package through an import hook mypy
    # does not follow: MYPYPATH finds it then.  An installed package is
    # found in site-packages (which mypy refuses to have in MYPYPATH).
    env = dict(os.environ)
    if ROOT.name not in ("site-packages", "dist-packages"):
        env["MYPYPATH"] = str(ROOT)
    return env


def mypy(args, cache, cwd):
    env = mypy_env()
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", cache,
         "--no-error-summary", "--hide-error-context", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def test_stubs_match_the_runtime(tmp_path):
    allow = tmp_path / "allowlist.txt"
    lines = (TESTS / "typing" / "stubtest-allowlist.txt").read_text()
    unstubbed = sorted(p.stem for p in PACKAGE.glob("*.py")
                       if not p.with_suffix(".pyi").exists()
                       and p.stem not in ("__init__", "greenlet"))
    lines += "".join(r"actors\.%s(\..*)?" "\n" % re.escape(m)
                     for m in unstubbed)
    allow.write_text(lines)
    env = mypy_env()
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "--concise",
         "--mypy-config-file", str(TESTS / "typing" / "stubtest.ini"),
         "--allowlist", str(allow), "--ignore-unused-allowlist", "actors"],
        cwd=str(tmp_path), env=env, capture_output=True, text=True,
        timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_greenlet_backend_matches_the_same_stubs(tmp_path):
    """actors._core_greenlet is the same runtime over greenlet: it has to
    match actors/_core.pyi too (checked as a copy of it, in a stub tree
    of its own, so users see one set of types)."""
    stubs = tmp_path / "stubs" / "actors"
    stubs.mkdir(parents=True)
    for f in PACKAGE.glob("*.pyi"):
        (stubs / f.name).write_text(f.read_text())
    (stubs / "py.typed").write_text("")
    (stubs / "_core_greenlet.pyi").write_text(
        (PACKAGE / "_core.pyi").read_text())
    env = dict(os.environ, MYPYPATH=str(stubs.parent))
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "--concise",
         "--mypy-config-file", str(TESTS / "typing" / "stubtest.ini"),
         "--allowlist", str(TESTS / "typing" / "stubtest-allowlist.txt"),
         "--ignore-unused-allowlist", "actors._core_greenlet"],
        cwd=str(tmp_path), env=env, capture_output=True, text=True,
        timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr


def readme_blocks():
    text = (SOURCE / "README.md").read_text()
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def test_readme_python_blocks_pass_mypy_strict(tmp_path, cache):
    blocks = readme_blocks()
    assert blocks
    for i, code in enumerate(blocks):
        (tmp_path / ("readme_block_%d.py" % i)).write_text(code)
    r = mypy(["--strict", "."], cache, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_examples_pass_mypy_strict(cache):
    examples = SOURCE / "examples"
    assert sorted(examples.glob("*.py"))
    r = mypy(["--strict", str(examples)], cache, SOURCE)
    assert r.returncode == 0, r.stdout + r.stderr


WRONG = '''
from typing import TypeGuard

import actors

class Counter(actors.Actor):
    def __init__(self, start: int) -> None:
        self.n = start
    def receive(self, msg: int) -> int:
        self.n += msg
        return self.n

def worker(n: int, name: str) -> None: ...

def is_text(m: object) -> TypeGuard[str]:
    return isinstance(m, str)

def main() -> None:
    actors.spawn(Counter, "x", "y")                 # @extra-args
    actors.receive(actors.Down).pid.nonexistent     # @no-field
    actors.spawn(worker, "1", "w")                  # @wrong-type
    down = actors.receive(actors.Down)
    reveal_type(down)                               # @down
    either = actors.receive((actors.Down, actors.Exit), timeout=1)
    reveal_type(either)                             # @either
    maybe = actors.receive(actors.Down, 0, default=None)
    reveal_type(maybe)                              # @maybe
    reveal_type(actors.run(lambda: 3))              # @run
    reveal_type(actors.receive(is_text))            # @guard
    actors.spawn(worker, 1, "w")                    # fine
    actors.spawn(worker, 1, "w", node="b")          # fine: remote spawn
    actors.spawn_link(Counter, 1)                   # fine
'''


def test_mypy_reports_wrong_calls(tmp_path, cache):
    (tmp_path / "wrong.py").write_text(WRONG)
    r = mypy(["--strict", "wrong.py"], cache, tmp_path)
    out = r.stdout
    where = {m.group(1): n for n, line in enumerate(WRONG.splitlines(), 1)
             for m in [re.search(r"# @([\w-]+)", line)] if m}
    found = {}
    for line in out.splitlines():
        m = re.match(r"wrong\.py:(\d+): (\w+): (.*)", line)
        if m:
            found.setdefault(int(m.group(1)), []).append(m.group(3))

    def at(mark):
        return " / ".join(found.get(where[mark], ()))

    assert r.returncode == 1, out + r.stderr
    assert 'No overload variant of "spawn"' in at("extra-args"), out
    assert '"Pid" has no attribute "nonexistent"' in at("no-field"), out
    assert 'No overload variant of "spawn"' in at("wrong-type"), out
    assert "fallback=actors._core.Down]\"" in at("down"), out
    assert ("fallback=actors._core.Down] | " in at("either") and
            "fallback=actors._core.Exit]" in at("either")), out
    assert "fallback=actors._core.Down] | None" in at("maybe"), out
    assert 'Revealed type is "int"' in at("run"), out
    assert 'Revealed type is "str"' in at("guard"), out
    assert set(found) == set(where.values()), out
