"""Dispatch waits until the status consumer has read what its topic held when assigned."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError

from services.queue_gate.dispatch_supervisor import DispatchSupervisor
from services.queue_gate.dispatching import RegionDispatcher
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.entrypoints.status_consumer import CatchUpRetries, StatusAssignments
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.status_catch_up import PartitionSpan, StatusCatchUp
from shared.events import SiakStatus
from tests.support.polling import eventually
from tests.unit.queue_gate.fake_gate import FakeEdges, FakeGate, gate_settings, running_gate
from tests.unit.queue_gate.fakes import FakeLease, FakePorts
from tests.unit.queue_gate.test_dispatch_supervisor import supervising

MAKASSAR = "73.71"
POLICY = GatePolicy(
    stale_after=timedelta(minutes=10), degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)
PACING = PacingConfig(canary_count=0, initial_rate=50.0, max_rate=50.0, burst=10)


def catching_up(**spans: tuple[int, int]) -> StatusCatchUp:
    """Assigned partitions `p<n>=(start, end)`."""
    catch_up = StatusCatchUp()
    catch_up.assigned({int(p[1:]): PartitionSpan(*span) for p, span in spans.items()})
    return catch_up


def test_dispatch_is_held_until_the_consumer_is_first_assigned() -> None:
    catch_up = StatusCatchUp()

    assert not catch_up.caught_up
    assert catch_up.report() == {"state": "awaiting assignment", "dispatch": "held"}


def test_an_assignment_with_nothing_to_read_is_caught_up_at_once() -> None:
    assert catching_up().caught_up  # a replica given no status partitions
    assert catching_up(p0=(7, 7), p1=(0, 0)).caught_up


def test_a_position_past_the_last_records_transaction_marker_counts_as_read_to_the_end() -> None:
    # Records at 3 and 4, the commit marker at 5: no record is ever delivered at 5.
    catch_up = catching_up(p0=(3, 6))
    catch_up.processed(0, 4)
    assert catch_up.behind() == [0]

    catch_up.reached(0, 5)
    assert not catch_up.caught_up
    catch_up.reached(0, 6)
    assert catch_up.caught_up and catch_up.behind() == []


def test_caught_up_once_every_partition_is_read_to_its_end_at_assignment() -> None:
    catch_up = catching_up(p0=(4, 6), p1=(9, 9), p2=(0, 1))
    resumed: list[bool] = []
    catch_up.on_caught_up(lambda: resumed.append(True))

    catch_up.processed(0, 4)
    catch_up.processed(2, 0)
    assert not catch_up.caught_up
    assert catch_up.report() == {
        "state": "catching up",
        "dispatch": "held",
        "partitions_behind": [0],
    }
    catch_up.processed(0, 5)
    assert catch_up.caught_up and resumed == [True]
    catch_up.processed(0, 6)  # news after the end at assignment changes nothing
    assert catch_up.report() == {"state": "caught up", "dispatch": "free"} and resumed == [True]


def test_a_rebalance_holds_dispatch_again_until_the_new_assignment_is_read() -> None:
    catch_up = catching_up(p0=(0, 0))
    catch_up.revoked()
    assert not catch_up.caught_up
    catch_up.processed(0, 3)  # a record of the old assignment, handled as it was revoked
    assert not catch_up.caught_up
    catch_up.assigned({0: PartitionSpan(3, 5)})
    catch_up.processed(0, 4)
    assert catch_up.caught_up


async def test_a_dispatcher_sends_nothing_on_a_status_read_while_catching_up() -> None:
    ports = FakePorts()
    # Read on the way: an UP the region has since left, for all the consumer knows yet.
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.waiting(MAKASSAR, "ani")
    catch_up = catching_up(p0=(0, 2))
    deps = dataclasses.replace(
        ports.dispatch_deps(POLICY, PACING, idle_timeout=timedelta(minutes=5)),
        status_caught_up=lambda: catch_up.caught_up,
    )
    dispatcher = RegionDispatcher(MAKASSAR, deps, FakeLease(MAKASSAR))

    assert await dispatcher.step() is None
    assert dispatcher.blocked
    assert ports.siak.calls == []


async def test_news_of_the_gate_starts_no_dispatcher_until_caught_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    catch_up = catching_up(p0=(0, 2))
    supervisor = DispatchSupervisor(
        dataclasses.replace(
            ports.dispatch_deps(POLICY, PACING, idle_timeout=timedelta(minutes=5)),
            status_caught_up=lambda: catch_up.caught_up,
        ),
        ports.leases,
        max_active_regions=8,
        sweep_interval=timedelta(milliseconds=10),
    )
    catch_up.on_caught_up(supervisor.resume)
    sweeps = 0
    regions_with_waiting = ports.submissions.regions_with_waiting

    async def counting_sweeps() -> list[str]:
        nonlocal sweeps
        sweeps += 1
        return await regions_with_waiting()

    async def three_sweeps() -> bool:
        return sweeps >= 3

    monkeypatch.setattr(ports.submissions, "regions_with_waiting", counting_sweeps)

    async with supervising(supervisor):
        catch_up.processed(0, 0)  # the UP: its news wakes the region
        supervisor.wake(MAKASSAR)
        await eventually(three_sweeps, what="three sweeps while catching up")
        assert ports.siak.calls == []

        catch_up.processed(0, 1)  # the end at assignment: the UP still stands
        await ports.siak.until_sent(1)

    assert ports.siak.sent == [ticket]


async def test_readyz_says_dispatch_is_held_while_the_status_consumer_catches_up() -> None:
    async with running_gate() as gate:
        gate.edges.status_catch_up.assigned({0: PartitionSpan(3, 5)})
        held = (await gate.readyz()).json()
        gate.edges.status_catch_up.processed(0, 4)
        free = (await gate.readyz()).json()

    assert held["status"] == "ready"  # intake goes on meanwhile
    assert held["status_consumer"] == {
        "state": "catching up",
        "dispatch": "held",
        "partitions_behind": [0],
    }
    assert free["status_consumer"] == {"state": "caught up", "dispatch": "free"}


STATUS_0 = TopicPartition("siak.status.v1", 0)


class KafkaAway:
    """The status consumer as its rebalance listener sees it, Kafka refusing the first
    `offset_failures` reads of offsets and `position_failures` of positions. Partition 0
    holds records 0-1 and a transaction marker (end 3); nothing is committed yet."""

    def __init__(self, *, offset_failures: int = 0, position_failures: int = 0) -> None:
        self.offset_failures = offset_failures
        self.position_failures = position_failures
        self.offset_reads = 0
        self.position_reads = 0

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        self.offset_reads += 1
        if self.offset_reads <= self.offset_failures:
            raise KafkaConnectionError("the coordinator is moving")
        return {tp: 3 for tp in partitions}

    async def beginning_offsets(
        self, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        return {tp: 0 for tp in partitions}

    async def committed(self, _partition: TopicPartition) -> int | None:
        return None

    async def position(self, _partition: TopicPartition) -> int:
        self.position_reads += 1
        if self.position_reads <= self.position_failures:
            raise KafkaConnectionError("a broker restarting")
        return 3


async def caught_up_after(kafka: KafkaAway, catch_up: StatusCatchUp) -> StatusCatchUp:
    retries = CatchUpRetries(catch_up, watch_interval_s=0.01)
    following = asyncio.create_task(retries.run())
    listener = StatusAssignments(retries, kafka)
    await listener.on_partitions_assigned({STATUS_0})
    for offset in (0, 1):  # applied; the marker at 2 is never delivered
        catch_up.processed(0, offset)

    async def caught_up() -> bool:
        return catch_up.caught_up

    try:
        await eventually(caught_up, within=5, what="caught up")
    finally:
        await listener.on_partitions_revoked({STATUS_0})
        following.cancel()
    return catch_up


def status_listener(gate: FakeGate, consumer: KafkaAway) -> StatusAssignments:
    """The gate's own rebalance listener of the status topic, for `consumer`."""
    (subscription,) = [s for s in gate.edges.kafka.subscriptions if s.topic == STATUS_0.topic]
    assert subscription.listener is not None
    listener: StatusAssignments = subscription.listener(consumer)
    return listener


async def test_offsets_unreadable_at_assignment_are_read_again_until_kafka_answers() -> None:
    """With a stable group no other assignment comes: giving up would hold dispatch for good."""
    kafka = KafkaAway(offset_failures=6)

    await caught_up_after(kafka, StatusCatchUp())

    assert kafka.offset_reads == 7


async def test_readyz_says_the_status_consumer_is_retrying_while_offsets_are_unreadable() -> None:
    async with running_gate() as gate:
        listener = status_listener(gate, KafkaAway(offset_failures=1_000_000))
        await listener.on_partitions_revoked(set())  # as a rebalance starts
        await listener.on_partitions_assigned({STATUS_0})
        try:
            retrying = (await gate.readyz()).json()
        finally:
            await listener.on_partitions_revoked({STATUS_0})

    assert retrying["status"] == "degraded"  # intake goes on; dispatch is held
    assert retrying["status_consumer"] == {
        "state": "awaiting assignment",
        "dispatch": "held",
        "retrying": "reading offsets: KafkaConnectionError",
    }


async def test_a_failed_position_read_is_tried_again_until_caught_up() -> None:
    """Past a last record's transaction marker only the position says the partition was read
    to its end: giving up would hold dispatch until a new status lands on that partition."""
    kafka = KafkaAway(position_failures=3)

    await caught_up_after(kafka, StatusCatchUp())

    assert kafka.position_reads == 4


class UnexpectedError(Exception):
    """Nothing in the status consumer expects this one."""


class BuggyCatchUp(StatusCatchUp):
    """A catch-up with a bug that raises when told of the retries after the first, `times`
    times: a retry ended by an error nobody foresaw."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.times = times
        self.told = 0

    def retrying(self, reason: str | None) -> None:
        if reason is not None:
            self.told += 1
            if self.told > 1 and self.times > 0:
                self.times -= 1
                raise UnexpectedError("a bug nobody foresaw")
        super().retrying(reason)


async def test_a_catch_up_retry_ended_by_a_bug_comes_back_and_catches_up() -> None:
    """With a stable group no other assignment comes: a retry that ended unnoticed would
    hold dispatch for good, /readyz saying nothing of it."""
    catch_up = BuggyCatchUp(times=1)
    async with running_gate(edges=FakeEdges(status_catch_up=catch_up)) as gate:
        listener = status_listener(gate, KafkaAway(offset_failures=2))
        await listener.on_partitions_assigned({STATUS_0})
        for offset in (0, 1):  # applied; the marker at 2 is never delivered
            catch_up.processed(0, offset)

        async def caught_up() -> bool:
            return catch_up.caught_up

        await eventually(caught_up, within=10, what="caught up after the retry's bug")
        task = (await gate.readyz()).json()["tasks"]["status catch-up"]
        await listener.on_partitions_revoked({STATUS_0})

    assert catch_up.times == 0  # the bug did end a retry
    assert task["restarts"] == 1
    assert task["last_error"] == "UnexpectedError"


async def test_readyz_names_a_catch_up_retry_that_keeps_failing() -> None:
    catch_up = BuggyCatchUp(times=1_000_000)
    # Each run waits out the retry's first interval (0.2 s) before it fails: a back-off cap
    # below that would count every run as a healthy one.
    failing_fast = gate_settings(task_unhealthy_after_s=0.3, task_backoff_max_s=1.0)
    async with running_gate(failing_fast, edges=FakeEdges(status_catch_up=catch_up)) as gate:
        listener = status_listener(gate, KafkaAway(offset_failures=1_000_000))
        await listener.on_partitions_assigned({STATUS_0})

        async def named() -> dict[str, object] | None:
            body: dict[str, object] = (await gate.readyz()).json()
            failing = body["failing"]
            return body if isinstance(failing, list) and "status catch-up" in failing else None

        try:
            body = await eventually(named, within=10, what="/readyz naming the retries")
        finally:
            await listener.on_partitions_revoked({STATUS_0})

    # Dispatch is held, intake goes on: the gate stays in the load balancer.
    assert body["status"] == "degraded"
