"""Registry (register/whereis/unregister), process groups, dead letters."""
import time

import pytest

import actors


def waiter():
    actors.receive(lambda m: m == "stop")


def wait_dead(pid, timeout=5):
    ref = actors.monitor(pid)
    actors.receive(lambda m: isinstance(m, actors.Down) and m.ref == ref,
                   timeout=timeout)


def test_register_whereis_unregister():
    def main():
        pid = actors.spawn(waiter)
        assert actors.whereis("reg-basic") is None
        actors.register("reg-basic", pid)
        found = actors.whereis("reg-basic")
        actors.unregister("reg-basic")
        after = actors.whereis("reg-basic")
        pid.send("stop")
        return pid, found, after
    pid, found, after = actors.run(main)
    assert found == pid
    assert after is None


def test_send_and_ask_by_name():
    class Echo(actors.Actor):
        def receive(self, msg):
            return ("echo", msg)

    def collector(parent):
        actors.send(parent, actors.receive(timeout=5))

    def main():
        actors.register("reg-echo", actors.spawn(Echo))
        actors.register("reg-coll", actors.spawn(collector, actors.self()))
        actors.send("reg-coll", "by name")
        return actors.receive(timeout=5), actors.ask("reg-echo", 1)
    assert actors.run(main) == ("by name", ("echo", 1))


def test_register_self():
    def main():
        actors.register("reg-me", actors.self())
        actors.send("reg-me", "hello me")
        return actors.receive(timeout=1)
    assert actors.run(main) == "hello me"


def test_name_taken_error():
    def main():
        a = actors.spawn(waiter)
        b = actors.spawn(waiter)
        actors.register("reg-taken", a)
        with pytest.raises(actors.NameTakenError):
            actors.register("reg-taken", b)
        assert issubclass(actors.NameTakenError, actors.ActorError)
        actors.register("reg-taken", a)    # same holder: fine
        holder = actors.whereis("reg-taken")
        a.send("stop")
        b.send("stop")
        return holder, a
    holder, a = actors.run(main)
    assert holder == a


def test_name_freed_on_death_and_reusable():
    def main():
        a = actors.spawn(waiter)
        actors.register("reg-free", a)
        a.send("stop")
        wait_dead(a)
        freed = actors.whereis("reg-free")
        b = actors.spawn(waiter)
        actors.register("reg-free", b)
        again = actors.whereis("reg-free")
        b.send("stop")
        return freed, again, b
    freed, again, b = actors.run(main)
    assert freed is None
    assert again == b


def test_name_freed_on_crash_and_kill():
    def crash():
        actors.receive()
        raise RuntimeError("x")

    def main():
        a = actors.spawn(crash)
        b = actors.spawn(waiter)
        actors.register("reg-crash", a)
        actors.register("reg-kill", b)
        a.send("go")
        actors.exit(b, "kill")
        wait_dead(a)
        wait_dead(b)
        return actors.whereis("reg-crash"), actors.whereis("reg-kill")
    assert actors.run(main) == (None, None)


def test_multiple_names_for_one_actor_all_freed():
    def main():
        a = actors.spawn(waiter)
        for n in ("reg-m1", "reg-m2", "reg-m3"):
            actors.register(n, a)
        actors.unregister("reg-m2")
        before = [actors.whereis(n) for n in ("reg-m1", "reg-m2", "reg-m3")]
        a.send("stop")
        wait_dead(a)
        after = [actors.whereis(n) for n in ("reg-m1", "reg-m2", "reg-m3")]
        return a, before, after
    a, before, after = actors.run(main)
    assert before == [a, None, a]
    assert after == [None, None, None]


def test_unregistered_name_not_freed_from_new_holder():
    # a unregisters name, b takes it; a's death must not free b's name
    def main():
        a = actors.spawn(waiter)
        b = actors.spawn(waiter)
        actors.register("reg-move", a)
        actors.unregister("reg-move")
        actors.register("reg-move", b)
        a.send("stop")
        wait_dead(a)
        holder = actors.whereis("reg-move")
        b.send("stop")
        return holder, b
    holder, b = actors.run(main)
    assert holder == b


def test_register_bad_use():
    def main():
        dead = actors.spawn(lambda: None)
        actors.sleep(0.01)
        with pytest.raises(actors.ActorDeadError):
            actors.register("reg-dead", dead)
        assert actors.whereis("reg-dead") is None
        with pytest.raises(TypeError):
            actors.register(42, actors.self())
        with pytest.raises(actors.ActorError):
            actors.unregister("reg-never-registered")
        return "ok"
    assert actors.run(main) == "ok"


def test_groups_join_leave_members():
    def main():
        a, b, c = (actors.spawn(waiter) for _ in range(3))
        actors.join("grp", a)
        actors.join("grp", b)
        actors.join("grp", c)
        actors.join("grp", a)                 # twice: still once
        m1 = actors.members("grp")
        left = actors.leave("grp", b)
        left_again = actors.leave("grp", b)
        m2 = actors.members("grp")
        for p in (a, b, c):
            p.send("stop")
        return (a, b, c), m1, left, left_again, m2
    (a, b, c), m1, left, left_again, m2 = actors.run(main)
    assert m1 == [a, b, c]
    assert left is True and left_again is False
    assert m2 == [a, c]


def test_members_of_unknown_group_is_empty():
    def main():
        return actors.members("grp-none")
    assert actors.run(main) == []


def test_actor_in_several_groups():
    def main():
        a = actors.spawn(waiter)
        actors.join("grp-x", a)
        actors.join("grp-y", a)
        r = (actors.members("grp-x"), actors.members("grp-y"))
        a.send("stop")
        wait_dead(a)
        return a, r, actors.members("grp-x"), actors.members("grp-y")
    a, r, x, y = actors.run(main)
    assert r == ([a], [a])
    assert x == [] and y == []


def test_dead_members_leave_automatically():
    def main():
        pids = [actors.spawn(waiter) for _ in range(10)]
        for p in pids:
            actors.join("grp-auto", p)
        for p in pids[::2]:
            p.send("stop")
        for p in pids[::2]:
            wait_dead(p)
        alive = actors.members("grp-auto")
        actors.exit(pids[1], "kill")
        wait_dead(pids[1])
        alive2 = actors.members("grp-auto")
        for p in pids[3::2]:
            p.send("stop")
        return pids, alive, alive2
    pids, alive, alive2 = actors.run(main)
    assert alive == pids[1::2]
    assert alive2 == pids[3::2]


def test_join_dead_raises():
    def main():
        dead = actors.spawn(lambda: None)
        actors.sleep(0.01)
        with pytest.raises(actors.ActorDeadError):
            actors.join("grp-dead", dead)
        return actors.members("grp-dead")
    assert actors.run(main) == []


def test_group_broadcast():
    def member(parent, i):
        actors.send(parent, (i, actors.receive(timeout=5)))

    def main():
        me = actors.self()
        for i in range(20):
            actors.join("grp-bcast", actors.spawn(member, me, i))
        for p in actors.members("grp-bcast"):
            p.send("news")
        got = sorted(actors.receive(timeout=5) for _ in range(20))
        return got
    assert actors.run(main) == [(i, "news") for i in range(20)]


def test_dead_letters_for_dead_pid_and_unknown_name():
    def main():
        dead = actors.spawn(lambda: None)
        actors.sleep(0.01)
        n0, _ = actors.dead_letters()
        actors.send(dead, ("dl", 1))
        dead.send(("dl", 2))
        actors.send("dl-no-such-name", ("dl", 3))
        n1, recent = actors.dead_letters()
        return dead, n0, n1, recent
    dead, n0, n1, recent = actors.run(main)
    assert n1 - n0 == 3
    tail = recent[-3:]
    assert tail[0] == (dead, ("dl", 1))
    assert tail[1] == (dead, ("dl", 2))
    assert tail[2][1] == ("dl", 3)
    assert tail[2][0] == "dl-no-such-name"


def test_dead_letters_recent_is_bounded_and_a_copy():
    def main():
        dead = actors.spawn(lambda: None)
        actors.sleep(0.01)
        n0, _ = actors.dead_letters()
        for i in range(1000):
            dead.send(i)
        n1, recent = actors.dead_letters()
        recent.clear()
        n2, recent2 = actors.dead_letters()
        return n0, n1, n2, recent2
    n0, n1, n2, recent = actors.run(main)
    assert n1 - n0 == 1000 and n2 == n1
    assert 0 < len(recent) <= 1000
    assert recent[-1][1] == 999


def test_dead_letters_from_outside_system():
    n0, _ = actors.dead_letters()
    pid = actors.run(actors.self)
    actors.send(pid, "after the end")
    n1, recent = actors.dead_letters()
    assert n1 == n0 + 1
    assert recent[-1] == (pid, "after the end")


def test_dead_letter_counting_from_threads_via_system():
    with actors.System() as system:
        pid = system.spawn(lambda: None)
        time.sleep(0.05)
        n0, _ = actors.dead_letters()
        for i in range(50):
            pid.send(i)
        n1, _ = actors.dead_letters()
    assert n1 - n0 == 50
