"""A crawler-shaped pipeline: a coordinator hands URLs to a bounded pool of
workers under a supervisor that restarts the ones that crash.

    python examples/crawler.py [--pages N] [--workers N]

The "web" is generated (page i links to a few others); one page in seven
fails the first time it is fetched, which crashes the worker fetching it.
The supervisor restarts that worker, the coordinator (which monitors every
worker it hands a URL to) puts the URL back in the frontier, and the crawl
ends with every reachable page fetched exactly once.
"""
from __future__ import annotations

import argparse
from collections import deque

import actors
from actors import ChildSpec, Supervisor

FLAKY_EVERY = 7


class FetchError(Exception):
    pass


class Web:
    """Pages 0..n-1; page i links to (2i+1, 3i+2, i*i+7) mod n."""

    def __init__(self, pages: int) -> None:
        self.pages = pages
        self.fetched: set[int] = set()  # what failed once does not again

    def fetch(self, url: str) -> list[str]:
        i = int(url.rsplit("/", 1)[1])
        actors.sleep(0.001)             # the network
        if i % FLAKY_EVERY == 3 and i not in self.fetched:
            self.fetched.add(i)
            raise FetchError("%s: connection reset" % url)
        return self.links(i)

    def links(self, i: int) -> list[str]:
        n = self.pages
        return ["http://web/%d" % (j % n) for j in (2*i + 1, 3*i + 2, i*i + 7)]


def reachable(web: Web, start: str) -> set[str]:
    """What a crawl from start must find (computed without actors)."""
    seen, todo = {start}, [start]
    while todo:
        for link in web.links(int(todo.pop().rsplit("/", 1)[1])):
            if link not in seen:
                seen.add(link)
                todo.append(link)
    return seen


def worker(web: Web, coordinator: str) -> None:
    """Ask for a URL, fetch it, report its links; a fetch error ends the
    worker (let it crash: the supervisor starts a fresh one)."""
    me = actors.self()
    while True:
        actors.send(coordinator, ("ready", me))
        msg = actors.receive()
        if msg == "done":
            return
        url: str = msg
        actors.send(coordinator, ("page", me, url, web.fetch(url)))


def coordinator(start: str, report_to: actors.Pid) -> None:
    frontier: deque[str] = deque([start])
    seen = {start}
    idle: deque[actors.Pid] = deque()
    busy: dict[actors.Pid, str] = {}    # worker -> the URL it fetches
    watched: set[actors.Pid] = set()
    crawled: list[str] = []
    crashes = 0
    while frontier or busy:
        while frontier and idle:
            w = idle.popleft()
            busy[w] = url = frontier.popleft()
            w.send(url)
        msg = actors.receive()
        match msg:
            case ("ready", actors.Pid() as w):
                if w not in watched:    # a new worker (or a restarted one)
                    watched.add(w)
                    actors.monitor(w)
                idle.append(w)
            case ("page", actors.Pid() as w, str(url), list(links)):
                del busy[w]
                crawled.append(url)
                for link in links:
                    if link not in seen:
                        seen.add(link)
                        frontier.append(link)
            case actors.Down(pid=w):
                watched.discard(w)
                if w in idle:
                    idle.remove(w)
                if w in busy:           # its URL goes back to the frontier
                    crashes += 1
                    frontier.append(busy.pop(w))
    for w in idle:
        w.send("done")
    actors.send(report_to, ("crawled", sorted(crawled), crashes))


def main(pages: int, workers: int) -> tuple[int, int, int]:
    web = Web(pages)
    actors.register("coordinator", actors.spawn_link(
        coordinator, "http://web/0", actors.self()))
    pool = Supervisor.start_link(Supervisor(
        [ChildSpec(worker, args=(web, "coordinator"), id="worker-%d" % i,
                   restart="transient")
         for i in range(workers)],
        strategy="one_for_one", max_restarts=pages, period=60.0))
    _, crawled, crashes = actors.receive(
        lambda m: isinstance(m, tuple) and m[0] == "crawled", timeout=60)
    assert len(crawled) == len(set(crawled))       # each page once
    assert crawled == sorted(reachable(web, "http://web/0"))
    restarts = Supervisor.restart_count(pool)
    return len(crawled), crashes, restarts


if __name__ == "__main__":
    import logging
    logging.basicConfig(level=logging.CRITICAL)   # the crashes are on purpose
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--workers", type=int, default=8)
    a = ap.parse_args()
    n, crashes, restarts = actors.run(main, a.pages, a.workers)
    print("crawled %d pages with %d workers; %d fetches crashed a worker, "
          "the supervisor restarted %d" % (n, a.workers, crashes, restarts))
