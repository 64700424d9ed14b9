"""Two replicas, one shard: only the replica the group assigns it to probes and publishes; a
new owner fences the old one before reading back, so `seq` goes on and nothing competes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.siak_monitor.bootstrap import build_monitor
from services.siak_monitor.domain.shard_holder import shard_holder
from services.siak_monitor.entrypoints.readiness import readiness
from services.siak_monitor.maintenance_service import MaintenanceService
from services.siak_monitor.replica import Replica, Standing, Term
from shared.supervision import Supervisor
from tests.support.polling import eventually
from tests.unit.siak_monitor.fakes import (
    FAST_BACKOFF,
    FakeClock,
    FakeProber,
    FakeShard,
    ShardPublisher,
    settings,
)

CONFIG = settings("73.71", heartbeat_period_s=0.01, tick_period_s=0.01, probe_interval_s=0.01)
CODE = "73.71"


@dataclass
class Node:
    """One replica process: its prober stands for SIAK as that node sees it."""

    name: str
    shard: FakeShard
    clock: FakeClock
    prober: FakeProber
    publishers: list[ShardPublisher] = field(default_factory=list)
    replica: Replica | None = None

    def new_term(self) -> Term:
        publisher = self.shard.publisher(f"{self.name}#{len(self.publishers) + 1}")
        self.publishers.append(publisher)
        monitor = build_monitor(CONFIG, prober=self.prober, publisher=publisher, clock=self.clock)
        return Term(monitor, MaintenanceService(monitor), publisher, Supervisor(FAST_BACKOFF))

    def statuses(self) -> list[tuple[str, int]]:
        return self.shard.statuses(CODE)


def node(name: str, shard: FakeShard) -> Replica:
    clock = FakeClock()
    built = Node(name, shard, clock, FakeProber(clock))
    built.replica = Replica(built.new_term, shard.log())
    nodes[built.replica] = built
    return built.replica


nodes: dict[Replica, Node] = {}


async def until(condition: Callable[[], bool], *, what: str) -> None:
    async def met() -> bool:
        return condition()

    await eventually(met, within=10, what=what)


async def test_a_standby_probes_and_publishes_nothing() -> None:
    shard = FakeShard()
    standby = node("b", shard)

    await standby.owns(False)

    assert standby.standing == Standing.STANDBY and standby.term is None
    assert nodes[standby].prober.probed == [] and shard.claims == []


async def test_the_new_owner_fences_the_old_one_before_reading_back_and_seq_goes_on() -> None:
    shard = FakeShard()
    a, b = node("a", shard), node("b", shard)
    try:
        await a.owns(True)
        await until(lambda: shard.statuses(CODE) == [("UP", 1)], what="a publishes UP")
        # a hangs (SIGSTOP): the group gives the shard to b, which never heard from a.
        nodes[b].prober.down.add(CODE)
        await b.owns(True)
        await until(lambda: len(shard.statuses(CODE)) == 2, what="b publishes DOWN")
        # a wakes up and sees the region fail too: its DOWN would compete with b's.
        nodes[a].prober.down.add(CODE)
        await until(a.spent, what="a fenced")
    finally:
        await a.step_down()
        await b.step_down()

    assert shard.statuses(CODE) == [("UP", 1), ("DOWN", 2)]
    assert shard.claims == ["a#1", "b#1"]
    # Each owner read back only after its own claim, so it saw all the old owner committed.
    assert shard.reads == [["a#1"], ["a#1", "b#1"]]
    assert nodes[a].publishers[0].fenced_batches >= 1


async def test_losing_the_shard_ends_the_term_and_regaining_it_claims_and_reads_back_anew() -> None:
    shard = FakeShard()
    a, b = node("a", shard), node("b", shard)
    try:
        await a.owns(True)
        await until(lambda: shard.statuses(CODE) == [("UP", 1)], what="a publishes UP")
        await a.owns(False)
        assert a.term is None and nodes[a].publishers[0].spent.is_set()
        probed = len(nodes[a].prober.probed)
        await b.owns(True)
        nodes[b].prober.down.add(CODE)
        await until(lambda: len(shard.statuses(CODE)) == 2, what="b publishes DOWN")
        await b.owns(False)
        await a.owns(True)
        await until(lambda: len(shard.statuses(CODE)) == 3, what="a publishes UP again")
    finally:
        await a.step_down()
        await b.step_down()

    assert shard.statuses(CODE) == [("UP", 1), ("DOWN", 2), ("UP", 3)]
    assert shard.claims == ["a#1", "b#1", "a#2"]
    assert len(nodes[a].publishers) == 2 and probed > 0


async def test_a_standby_is_ready_and_a_replica_the_group_has_not_answered_is_not() -> None:
    shard = FakeShard()
    replica = node("a", shard)
    idle = nodes[replica].new_term()
    supervisor = Supervisor()

    joining, body = readiness(idle.monitor, idle.maintenance, supervisor, replica.standing)
    assert (joining, body["standing"]) == (False, "joining")
    await replica.owns(False)
    standby, body = readiness(idle.monitor, idle.maintenance, supervisor, replica.standing)
    assert (standby, body["standing"]) == (True, "standby")


def test_the_shard_stays_with_its_latest_claimant_when_a_former_owner_rejoins() -> None:
    # replica-1 claimed at 4, hung, and rejoins believing in it; replica-2 claimed at 9.
    assert shard_holder({"replica-1": 4, "replica-2": 9, "replica-3": None}) == "replica-2"
    assert shard_holder({"replica-2": None, "replica-1": None}) == "replica-1"
    assert shard_holder({}) is None
