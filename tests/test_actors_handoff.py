"""Direct handoff: an actor that blocks switches straight to the next
suspended runnable actor.  The run queue's order, timers, other threads
and the reduction counts must be as if every switch went through the
scheduler loop."""
import threading
import time

import actors


def test_woken_actors_run_in_the_order_they_were_woken():
    order = []

    def waiter(name):
        actors.receive()
        order.append(name)

    def main():
        pids = {n: actors.spawn(waiter, n) for n in "abcde"}
        actors.sleep(0)                   # all of them park in receive()
        for n in "dbeac":
            actors.send(pids[n], "go")
        actors.sleep(0.01)
        return order
    assert actors.run(main) == list("dbeac")


def _echo_sender():
    while True:
        sender = actors.receive()
        actors.send(sender, None)


def _ping_pong_forever(stop):
    p = actors.spawn(_echo_sender)
    me = actors.self()
    while not stop:
        actors.send(p, me)
        actors.receive()


def test_timers_fire_while_two_actors_hand_the_cpu_to_each_other():
    stop = []

    def main():
        actors.spawn(_ping_pong_forever, stop)
        t0 = time.monotonic()
        got = actors.receive(timeout=0.05, default="timed out")
        waited = time.monotonic() - t0
        stop.append(True)
        return got, waited
    got, waited = actors.run(main)
    assert got == "timed out"
    assert waited < 2.0


def test_other_threads_are_heard_while_actors_hand_off():
    stop = []

    def main():
        actors.register("main", actors.self())
        actors.spawn(_ping_pong_forever, stop)
        actors.sleep(0)
        t = threading.Thread(target=actors.send, args=("main", "from thread"))
        t.start()
        got = actors.receive(timeout=5, default="timed out")
        stop.append(True)
        t.join()
        return got
    assert actors.run(main) == "from thread"


def test_reductions_are_counted_for_actors_resumed_by_a_handoff():
    n = 5000

    def main():
        p = actors.spawn(_echo_sender)
        me = actors.self()
        for _ in range(n):
            actors.send(p, me)
            actors.receive()
        counts = actors.info(p).reductions, actors.info(me).reductions
        actors.exit(p, "kill")
        return counts
    theirs, mine = actors.run(main)
    # each side sends and receives n times
    assert theirs >= 2 * n
    assert mine >= 2 * n


def test_every_actor_of_a_ring_passes_the_token_once_a_lap():
    k, laps = 200, 20
    passed = [0] * k

    def node(i, main):
        nxt = actors.receive()
        while True:
            hops = actors.receive()
            passed[i] += 1
            if hops == k * laps:
                actors.send(main, hops)
            else:
                actors.send(nxt, hops + 1)

    def main():
        me = actors.self()
        nodes = [actors.spawn(node, i, me) for i in range(k)]
        for i, p in enumerate(nodes):
            actors.send(p, nodes[(i + 1) % k])
        actors.send(nodes[0], 1)
        return actors.receive(timeout=30)
    assert actors.run(main) == k * laps
    assert passed == [laps] * k
