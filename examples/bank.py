"""Bank accounts as class actors, asked for everything, under a supervisor
tree of three levels: the bank, its branches, their accounts.

    python examples/bank.py

Shows: ask() returning a handler's value and raising its exception in the
asker, an ask that times out, an account that crashes and is restarted by
its branch (with its opening balance: state lives in the actor), and
finding the current Pid of a child through its supervisor.
"""
from __future__ import annotations

from dataclasses import dataclass

import actors
from actors import ChildSpec, Supervisor


class InsufficientFunds(Exception):
    pass


@dataclass(frozen=True)
class Deposit:
    amount: int


@dataclass(frozen=True)
class Withdraw:
    amount: int


@dataclass(frozen=True)
class Balance:
    pass


@dataclass(frozen=True)
class Audit:
    seconds: float                      # how long the audit takes


@dataclass(frozen=True)
class Crash:
    pass


Msg = Deposit | Withdraw | Balance | Audit | Crash


class Account(actors.Actor):
    """One account.  receive() answers asks: its return value is the reply,
    its exception is raised in the asker (and the account lives on)."""

    def __init__(self, owner: str, opening: int) -> None:
        self.owner = owner
        self.balance = opening

    def receive(self, msg: Msg) -> int:
        match msg:
            case Deposit(amount):
                self.balance += amount
            case Withdraw(amount):
                if amount > self.balance:
                    raise InsufficientFunds(
                        "%s has %d, asked for %d"
                        % (self.owner, self.balance, amount))
                self.balance -= amount
            case Audit(seconds):
                actors.sleep(seconds)     # a handler may block
            case Crash():                 # a bug: the branch restarts us
                raise RuntimeError("account %s crashed" % self.owner)
        return self.balance


BRANCHES = {"north": {"alice": 100, "bob": 50},
            "south": {"carol": 75}}


def bank() -> Supervisor:
    """Level 1: the bank; level 2: a supervisor per branch, registered by
    name; level 3: its accounts (child id = owner)."""
    return Supervisor(
        [Supervisor([ChildSpec(Account, args=(owner, opening), id=owner)
                     for owner, opening in accounts.items()],
                    strategy="one_for_one", name="branch-" + branch)
         for branch, accounts in BRANCHES.items()],
        strategy="one_for_one", max_restarts=5, period=10.0, name="bank")


def account(owner: str) -> actors.Pid:
    """The current Pid of an owner's account (it changes on a restart; while
    its branch restarts it, there is none for a moment)."""
    branch = next(b for b, accounts in BRANCHES.items() if owner in accounts)
    for _ in range(500):
        for child in Supervisor.which_children("branch-" + branch):
            if child.id == owner and child.pid is not None:
                return child.pid
        actors.sleep(0.01)
    raise actors.Timeout("no account for %s" % owner)


def main() -> list[str]:
    log: list[str] = []
    Supervisor.start_link(bank())       # returns once every child runs
    alice, bob = account("alice"), account("bob")

    n: int = actors.ask(alice, Deposit(25))
    log.append("alice deposits 25: %d" % n)
    n = alice.ask(Withdraw(100))
    log.append("alice withdraws 100: %d" % n)
    try:
        actors.ask(bob, Withdraw(500))
    except InsufficientFunds as e:
        log.append("bob overdraws: %s" % e)
    log.append("bob still there: %d" % actors.ask(bob, Balance()))

    try:
        actors.ask(bob, Audit(seconds=1.0), timeout=0.1)
    except actors.Timeout:
        log.append("audit: no answer within 0.1 s")

    ref = actors.monitor(alice)
    alice.send(Crash())                 # a plain send: nobody waits for it
    down = actors.receive(actors.Down, timeout=5)
    assert down.ref == ref
    log.append("alice's account crashed: %r" % (down.reason,))
    while account("alice") == alice:    # the branch restarts it
        actors.sleep(0.01)
    log.append("alice restarted with %d" % actors.ask(account("alice"),
                                                       Balance()))
    log.append("north restarts: %d" % Supervisor.restart_count("branch-north"))
    log.append("bank restarts: %d" % Supervisor.restart_count("bank"))
    return log


if __name__ == "__main__":
    import logging
    logging.basicConfig(level=logging.CRITICAL)   # the crash is on purpose
    for line in actors.run(main):
        print(line)
