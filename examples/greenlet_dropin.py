"""Existing greenlet code, run on actors' tasklets by changing one import.

The code below is written for the greenlet package: a producer and a
consumer that hand values back and forth with switch(), and a tasklet ended
by GreenletExit.  Only the import line says actors.

    python examples/greenlet_dropin.py
"""
from __future__ import annotations

import actors.greenlet as greenlet   # was: import greenlet


def consumer(results: list[str]) -> None:
    """Receives values switched to it until it is thrown GreenletExit."""
    try:
        while True:
            # park: back to whoever runs us (our parent), for the next item
            parent = greenlet.getcurrent().parent
            assert parent is not None
            item: str = parent.switch()
            results.append(item.upper())
    except greenlet.GreenletExit:
        results.append("<closed>")


def producer(sink: greenlet.greenlet, words: list[str]) -> int:
    sink.parent = greenlet.getcurrent()    # the consumer comes back here
    for word in words:
        sink.switch(word)                  # run the consumer with it
    sink.throw(greenlet.GreenletExit)      # end it; it returns to us
    return len(words)


def run(words: list[str]) -> list[str]:
    results: list[str] = []
    sink = greenlet.greenlet(consumer)
    sink.switch(results)                   # start: runs to its first switch
    sent: int = greenlet.greenlet(producer).switch(sink, words)
    assert sent == len(words) and sink.dead
    return results


if __name__ == "__main__":
    print(" ".join(run(["actors", "run", "greenlet", "code"])))
