"""Map-reduce over a three-node cluster on loopback: word counts of a
generated corpus, with remote spawn and a node that dies mid-job.

    python examples/mapreduce.py [--words N] [--no-failure]

This process is the coordinator node; it starts two worker nodes (this same
script with --worker, in subprocesses) that join it, spawns a count_words
mapper per chunk on them (spawn(..., node=...)), monitors each mapper, and
sums what comes back.  Unless --no-failure, it kills one worker node with
SIGKILL while its mappers run: their monitors fire with 'noconnection' once
the node is declared down, and their chunks are counted again on the nodes
that are left.  The result is checked against a count done without actors.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import subprocess
import sys
from collections import Counter

import actors

VOCABULARY = ("actor mailbox message node cluster spawn link monitor "
              "supervisor restart tasklet stack switch scheduler timer "
              "pid ref down exit ask reply zeromq socket frame").split()
CHUNK = 1000                              # words per map task


def corpus(words: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    # A skewed distribution, so the top of the count means something.
    weights = [1.0 / (i + 1) for i in range(len(VOCABULARY))]
    return rng.choices(VOCABULARY, weights, k=words)


@actors.spawnable                         # other nodes may spawn it here
def count_words(chunk: int, text: str, reply_to: actors.Pid,
                work: float) -> None:
    counts = Counter(text.split())
    actors.sleep(work)                    # stands in for a heavier map
    actors.send(reply_to, ("counted", chunk, dict(counts)))


def node_config(name: str, seeds: list[str]) -> actors.NodeConfig:
    # Loopback, the cookie from ACTORS_COOKIE; quick failure detection.
    return actors.NodeConfig(name=name, listen="tcp://127.0.0.1:*",
                             seeds=seeds, heartbeat=0.2, down_after=1.0)


def worker() -> None:
    """A worker node's main actor: serve until the coordinator is gone."""
    while "coord" not in actors.nodes():
        actors.sleep(0.05)
    actors.monitor_node("coord")
    actors.receive(actors.NodeDown)


def wait_for(names: set[str], seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if names <= set(actors.nodes()):
            return
        actors.sleep(0.05)
    raise actors.Timeout("nodes %s did not join" % sorted(names))


def coordinator(words: int, fail: bool
                ) -> tuple[Counter[str], int, list[subprocess.Popen[bytes]]]:
    me = actors.self()
    address = actors.node_stats()["address"]
    procs = {name: subprocess.Popen([sys.executable, os.path.abspath(__file__),
                                     "--worker", name, "--seed", address])
             for name in ("w1", "w2")}
    try:
        wait_for(set(procs), 30)
        text = corpus(words)
        chunks = {i: " ".join(text[i:i + CHUNK])
                  for i in range(0, len(text), CHUNK)}
        running: dict[actors.Ref, int] = {}   # mapper monitor -> chunk

        def start(chunk: int, node: str) -> None:
            pid = actors.spawn(count_words, chunk, chunks[chunk], me, 0.5,
                               node=node)
            running[actors.monitor(pid)] = chunk

        for n, chunk in enumerate(chunks):
            start(chunk, ("w1", "w2")[n % 2])
        if fail:
            procs["w2"].send_signal(signal.SIGKILL)
        total: Counter[str] = Counter()
        done: set[int] = set()
        again = 0
        while len(done) < len(chunks):
            match actors.receive(timeout=30):
                case ("counted", int(chunk), dict(counts)):
                    if chunk not in done:     # a recount may come twice
                        done.add(chunk)
                        total.update(counts)
                case actors.Down(ref=ref, reason=reason):
                    chunk = running.pop(ref)
                    if reason != "normal" and chunk not in done:
                        again += 1            # its node died: count again
                        alive = [n for n in actors.nodes() if n in procs]
                        start(chunk, alive[0] if alive else "coord")
        return total, again, list(procs.values())
    except BaseException:
        for p in procs.values():
            p.kill()
        raise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=20_000)
    ap.add_argument("--no-failure", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--seed", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        actors.run(worker, node=node_config(a.worker, [a.seed]))
        return
    os.environ.setdefault("ACTORS_COOKIE", secrets.token_hex(16))
    total, again, workers = actors.run(coordinator, a.words,
                                       not a.no_failure,
                                       node=node_config("coord", []))
    for p in workers:                     # they leave once "coord" is gone
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            raise
    assert total == Counter(corpus(a.words)), "the counts are wrong"
    print("%d words counted on 3 nodes, %d chunks counted again after a "
          "node failure" % (sum(total.values()), again))
    for word, n in total.most_common(5):
        print("%8d %s" % (n, word))


if __name__ == "__main__":
    # Another node finds count_words by its module's name, which __main__
    # is not: run as the module "mapreduce" (this directory is on sys.path).
    import mapreduce
    mapreduce.main()
