"""Offsets are committed off the records' path, never past a record whose work is not durable."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping

import pytest
from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from services.queue_gate.adapters.kafka_link import Record, consume
from services.queue_gate.adapters.offset_commits import Commit, CommitOnRevoke, OffsetCommits
from tests.support.polling import eventually
from tests.unit.queue_gate.fakes import FakeRecordSource

TOPIC = "siak.status.v1"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


async def until(condition: Callable[[], bool], *, what: str) -> None:
    async def probe() -> bool:
        return condition()

    await eventually(probe, within=5, interval=0.005, what=what)


class Database:
    """Stands for the handler's transaction: which records' work is durable, in order."""

    def __init__(self) -> None:
        self.committed: list[tuple[int, int]] = []
        self.failing: set[tuple[int, int]] = set()
        self.held: dict[tuple[int, int], asyncio.Event] = {}

    async def handle(self, record: Record) -> None:
        place = (record.partition, record.offset)
        if place in self.held:
            await self.held[place].wait()
        if place in self.failing:
            raise ConnectionError("the transaction did not commit")
        self.committed.append(place)


class Broker:
    """Stands for the group coordinator: the offsets committed, each checked when it arrives."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.commits: list[dict[TopicPartition, int]] = []
        self.released = asyncio.Event()
        self.released.set()
        self.violations: list[str] = []
        self.assigned: set[TopicPartition] | None = None
        """The consumer's assignment, when a test changes it: aiokafka refuses a whole commit
        naming a partition outside it."""

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if self.assigned is not None and not offsets.keys() <= self.assigned:
            raise IllegalStateError(f"Partition {sorted(offsets.keys() - self.assigned)} ...")
        for tp, offset in offsets.items():
            durable = {o for p, o in self.database.committed if p == tp.partition}
            missing = sorted(set(range(offset)) - durable)
            if missing:
                self.violations.append(f"offset {offset} of {tp} before {missing} were durable")
        self.commits.append(dict(offsets))
        await self.released.wait()

    def latest(self, tp: TopicPartition) -> int | None:
        offsets = [commit[tp] for commit in self.commits if tp in commit]
        return offsets[-1] if offsets else None


def failing_once(broker: Broker, error: Exception) -> Commit:
    """`broker.commit`, but the first call raises `error` (a rebalance, a coordinator moved)."""
    failures = [error]

    async def commit(offsets: Mapping[TopicPartition, int]) -> None:
        if failures:
            raise failures.pop()
        await broker.commit(offsets)

    return commit


@contextlib.asynccontextmanager
async def consuming(
    source: FakeRecordSource, database: Database, commits: OffsetCommits
) -> AsyncIterator[None]:
    tasks = [
        asyncio.create_task(commits.run()),
        asyncio.create_task(consume(source, database.handle, commits, retry_delay_s=0)),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                raise AssertionError("a task failed") from task.exception()


async def test_each_offset_is_committed_after_the_work_of_every_record_before_it() -> None:
    database = Database()
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    commits = OffsetCommits(broker.commit)
    async with consuming(source, database, commits):
        for value in (b"a", b"b", b"c"):
            source.append(0, value)
            source.append(1, value)
        await until(lambda: broker.latest(P0) == 3 and broker.latest(P1) == 3, what="all committed")
    assert broker.violations == []
    assert [o for p, o in database.committed if p == 0] == [0, 1, 2]


async def test_a_record_whose_transaction_failed_holds_its_offset_until_it_is_stored() -> None:
    database = Database()
    database.failing.add((0, 1))
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    commits = OffsetCommits(broker.commit)
    async with consuming(source, database, commits):
        source.append(0, b"a", b"b", b"c")
        await until(lambda: len(source.seeks) >= 3, what="the failing record retried")
        await until(lambda: broker.latest(P0) == 1, what="the record before it committed")
        assert commits.due == {}
        assert (0, 2) not in database.committed  # nothing behind it was handled either
        database.failing.clear()
        await until(lambda: broker.latest(P0) == 3, what="committed once stored")
    assert broker.violations == []
    assert [o for p, o in database.committed if p == 0] == [0, 1, 2]
    assert set(source.seeks) == {(0, 1)}


async def test_a_first_record_that_is_never_stored_commits_no_offset() -> None:
    database = Database()
    database.failing.add((0, 0))
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    commits = OffsetCommits(broker.commit)
    async with consuming(source, database, commits):
        source.append(0, b"a", b"b")
        await until(lambda: len(source.seeks) >= 5, what="the failing record retried")
    assert broker.commits == []
    assert database.committed == []


async def test_records_are_handled_while_a_commit_is_in_flight_and_share_the_next() -> None:
    database = Database()
    broker = Broker(database)
    broker.released.clear()
    source = FakeRecordSource(TOPIC)
    commits = OffsetCommits(broker.commit)
    async with consuming(source, database, commits):
        source.append(0, b"a")
        await until(lambda: broker.commits == [{P0: 1}], what="the first commit sent")
        source.append(0, b"b", b"c")
        # The commit has not come back, and the records behind it are handled all the same.
        await until(lambda: len(database.committed) == 3, what="the next records handled")
        assert commits.due == {P0: 3}
        broker.released.set()
        await until(lambda: broker.latest(P0) == 3, what="the rest committed")
    assert broker.commits == [{P0: 1}, {P0: 3}]
    assert broker.violations == []


async def test_a_record_still_being_stored_is_not_committed() -> None:
    database = Database()
    database.held[(0, 1)] = asyncio.Event()
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    commits = OffsetCommits(broker.commit)
    async with consuming(source, database, commits):
        source.append(0, b"a", b"b")
        await until(lambda: broker.latest(P0) == 1, what="the first committed")
        await commits.flush()
        assert broker.latest(P0) == 1
        database.held[(0, 1)].set()
        await until(lambda: broker.latest(P0) == 2, what="the second committed")
    assert broker.violations == []


async def test_a_failed_commit_is_superseded_by_the_next() -> None:
    database = Database()
    broker = Broker(database)
    commits = OffsetCommits(failing_once(broker, CommitFailedError("rebalanced")))
    database.committed.append((0, 0))
    commits.taken(P0, 0)
    commits.handled(P0, 0)
    await commits.flush()
    assert broker.commits == []
    database.committed.append((0, 1))
    commits.handled(P0, 1)
    await commits.flush()
    assert broker.commits == [{P0: 2}]


class Told(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.seen: list[tuple[str, object]] = []

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.seen.append(("revoked", list(self.broker.commits)))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.seen.append(("assigned", sorted(assigned)))


async def test_what_was_handled_in_revoked_partitions_is_committed_before_they_go() -> None:
    database = Database()
    database.committed += [(0, 0), (1, 0), (1, 1)]
    broker = Broker(database)
    commits = OffsetCommits(broker.commit)
    inner = Told(broker)
    listener = CommitOnRevoke(commits, inner)
    commits.taken(P0, 0)
    commits.taken(P1, 0)
    commits.handled(P0, 0)
    commits.handled(P1, 0)
    commits.handled(P1, 1)
    await listener.on_partitions_revoked({P1})
    assert inner.seen == [("revoked", [{P1: 2}])]
    await listener.on_partitions_assigned({P1})
    assert commits.due == {}  # P0 went elsewhere: its new owner reads on from its own commit
    assert inner.seen[-1] == ("assigned", [P1])


@pytest.mark.parametrize("inner", [False, True])
async def test_a_flush_cancelled_mid_commit_keeps_its_offsets_due(inner: bool) -> None:
    database = Database()
    database.committed.append((0, 0))
    broker = Broker(database)
    broker.released.clear()
    commits = OffsetCommits(broker.commit)
    commits.taken(P0, 0)
    commits.handled(P0, 0)
    flushing = asyncio.create_task(commits.flush())
    await until(lambda: broker.commits == [{P0: 1}], what="the commit sent")
    if inner:
        database.committed.append((0, 1))
        commits.handled(P0, 1)
    flushing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await flushing
    assert commits.due == {P0: 2 if inner else 1}


async def test_while_a_batch_is_handled_its_partition_stands_at_the_first_record_not_handled() -> (
    None
):
    database = Database()
    database.held[(0, 1)] = asyncio.Event()
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    commits = OffsetCommits(broker.commit)
    async with consuming(source, database, commits):
        source.append(0, b"a", b"b", b"c")
        await until(lambda: database.committed == [(0, 0)], what="the first handled")
        assert source.positions[0] == 3  # the consumer's position is past the whole batch
        assert commits.in_hand(P0) == 1
        database.held[(0, 1)].set()
        await until(lambda: commits.in_hand(P0) is None, what="the batch handled")
    assert database.committed == [(0, 0), (0, 1), (0, 2)]


async def test_partitions_fetched_together_stand_at_their_first_record_until_handled() -> None:
    database = Database()
    database.held[(0, 0)] = asyncio.Event()
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    source.append(0, b"a")
    source.append(1, b"a", b"b")
    commits = OffsetCommits(broker.commit)
    async with consuming(source, database, commits):
        await until(lambda: source.positions[1] == 2, what="both partitions taken at once")
        assert (commits.in_hand(P0), commits.in_hand(P1)) == (0, 0)
        database.held[(0, 0)].set()
        await until(lambda: commits.in_hand(P1) is None, what="both handled")
    assert database.committed == [(0, 0), (1, 0), (1, 1)]


async def test_a_record_handled_while_its_partition_was_revoked_commits_nothing_there() -> None:
    """Its offset is its new owner's to commit: made due here, it would fail the commit of
    the partitions still assigned with it (aiokafka refuses an unassigned one)."""
    database = Database()
    database.held[(0, 0)] = asyncio.Event()
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    source.append(0, b"a", b"b", b"c")
    source.append(1, b"a")
    commits = OffsetCommits(broker.commit)
    listener = CommitOnRevoke(commits, None)
    async with consuming(source, database, commits):
        await until(lambda: commits.in_hand(P0) == 0, what="the batches taken")
        await listener.on_partitions_revoked({P0})
        broker.assigned = {P1}
        await listener.on_partitions_assigned({P1})
        database.held[(0, 0)].set()
        await until(lambda: (1, 0) in database.committed, what="the other partition handled")
        await until(lambda: broker.latest(P1) == 1, what="the other partition committed")
    # The rest of the revoked partition's batch is left to its new owner.
    assert database.committed == [(0, 0), (1, 0)]
    assert broker.latest(P0) is None
    assert commits.due == {}
    assert broker.violations == []


async def test_a_failed_commit_keeps_its_offsets_due_for_the_next() -> None:
    database = Database()
    database.committed += [(0, 0), (1, 0)]
    broker = Broker(database)
    commits = OffsetCommits(failing_once(broker, CommitFailedError("the coordinator moved")))
    for partition in (P0, P1):
        commits.taken(partition, 0)
        commits.handled(partition, 0)
    await commits.flush()
    assert broker.commits == []
    assert commits.due == {P0: 1, P1: 1}
    await commits.flush()
    assert broker.commits == [{P0: 1, P1: 1}]
    assert broker.violations == []


async def test_a_failed_commit_is_tried_again_with_no_record_handled_since() -> None:
    database = Database()
    database.committed.append((0, 0))
    broker = Broker(database)
    commits = OffsetCommits(
        failing_once(broker, CommitFailedError("the coordinator moved")), retry_delay_s=0
    )
    running = asyncio.create_task(commits.run())
    try:
        commits.taken(P0, 0)
        commits.handled(P0, 0)
        await until(lambda: broker.latest(P0) == 1, what="committed on the second try")
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_an_offset_handled_during_a_failed_commit_is_not_put_back_behind() -> None:
    database = Database()
    database.committed += [(0, 0), (0, 1)]
    failing = asyncio.Event()

    async def commit(offsets: Mapping[TopicPartition, int]) -> None:
        await failing.wait()
        raise CommitFailedError("rebalanced")

    commits = OffsetCommits(commit)
    commits.taken(P0, 0)
    commits.handled(P0, 0)
    flushing = asyncio.create_task(commits.flush())
    await until(lambda: commits.due == {}, what="the commit sent")
    commits.handled(P0, 1)
    failing.set()
    assert not await flushing
    assert commits.due == {P0: 2}


async def test_a_record_failing_after_its_partition_was_revoked_is_left_to_its_new_owner() -> None:
    database = Database()
    database.held[(0, 0)] = asyncio.Event()
    database.failing.add((0, 0))
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    source.append(0, b"a", b"b")
    commits = OffsetCommits(broker.commit)
    listener = CommitOnRevoke(commits, None)
    async with consuming(source, database, commits):
        await until(lambda: commits.in_hand(P0) == 0, what="the batch taken")
        await listener.on_partitions_revoked({P0})
        source.assigned = {1}
        await listener.on_partitions_assigned({P1})
        database.held[(0, 0)].set()
        source.append(1, b"a")
        await until(lambda: broker.latest(P1) == 1, what="the consumer reading on")
    assert source.seeks == []
    assert database.committed == [(1, 0)]


class UnflushedDatabase(Database):
    """Commits without waiting for the flush (store_status_change): a record's work is
    visible once handled, durable (`committed`, what the broker checks) only once a flush
    begun after it has returned."""

    def __init__(self) -> None:
        super().__init__()
        self.visible: list[tuple[int, int]] = []
        self.flush_held = asyncio.Event()
        self.flush_held.set()
        self.flushes = 0
        self.unknown = 0
        """How many flushes to come say the database could not be asked."""

    async def handle(self, record: Record) -> None:
        self.visible.append((record.partition, record.offset))

    async def flushed(self) -> bool:
        self.flushes += 1
        covered = list(self.visible)  # what was committed before the barrier's commit
        await self.flush_held.wait()
        if self.unknown:
            self.unknown -= 1
            return False
        self.committed.extend(place for place in covered if place not in self.committed)
        return True


async def test_an_offset_is_committed_only_once_the_work_before_it_is_flushed() -> None:
    database = UnflushedDatabase()
    database.flush_held.clear()
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    commits = OffsetCommits(broker.commit, durable=database.flushed)
    async with consuming(source, database, commits):
        source.append(0, b"a", b"b")
        await until(lambda: len(database.visible) == 2, what="both records handled")
        await until(lambda: database.flushes == 1, what="the flush awaited")
        assert broker.commits == []  # the transactions are visible, not durable yet
        database.flush_held.set()
        await until(lambda: broker.latest(P0) == 2, what="committed once flushed")
    assert broker.violations == []


async def test_records_handled_while_the_flush_is_awaited_wait_for_the_next_flush() -> None:
    database = UnflushedDatabase()
    database.flush_held.clear()
    broker = Broker(database)
    source = FakeRecordSource(TOPIC)
    commits = OffsetCommits(broker.commit, durable=database.flushed)
    async with consuming(source, database, commits):
        source.append(0, b"a")
        await until(lambda: database.flushes == 1, what="the first flush awaited")
        source.append(0, b"b", b"c")
        await until(lambda: len(database.visible) == 3, what="the records behind it handled")
        database.flush_held.set()
        await until(lambda: broker.latest(P0) == 3, what="all committed")
    # The first commit carries only what was handled before its flush began.
    assert broker.commits == [{P0: 1}, {P0: 3}]
    assert database.flushes == 2
    assert broker.violations == []


async def test_a_flush_not_known_to_have_happened_keeps_its_offsets_due() -> None:
    database = UnflushedDatabase()
    database.unknown = 1  # the database could not be asked (down, restarting)
    broker = Broker(database)
    commits = OffsetCommits(broker.commit, durable=database.flushed, retry_delay_s=0)
    commits.taken(P0, 0)
    await database.handle(Record(TOPIC, 0, 0, None, b"a", []))
    commits.handled(P0, 0)

    assert await commits.flush() is False
    assert broker.commits == []
    assert commits.due == {P0: 1}
    assert await commits.flush() is True
    assert broker.commits == [{P0: 1}]
    assert broker.violations == []
