"""A consumer's offset commits, off the path of the records: each after the records before it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)

Commit = Callable[[Mapping[TopicPartition, int]], Awaitable[None]]
"""Commits the offsets given (aiokafka's `AIOKafkaConsumer.commit`)."""
Durable = Callable[[], Awaitable[bool]]
"""Returns True once the work of every record handled before the call is durable, False when
that is not known (`WalFlushBarrier.flushed`, for work committed without waiting for it)."""


class OffsetCommits:
    """Commits, in a task of its own, the offset after the last record handled in each partition.

    The consumer handles a partition's records in turn and calls `handled` once a record's
    work is durable (its database transaction committed), so an offset here never passes a
    record whose work could still be lost: commit-before-offset holds. The commit is a round
    trip to the group coordinator; kept out of the consumer's loop, it no longer delays the
    next record. One commit is in flight at a time and carries the newest offset of each
    partition, so records handled meanwhile share the next one. A commit that fails leaves
    its offsets due, and the next (after `retry_delay_s` at the latest) carries them. A crash
    before it loses no work: the records after the committed offset are read again, and their
    handlers are idempotent. Where handlers' transactions commit without waiting for their
    WAL flush, `durable` is awaited before each commit, after its offsets were chosen.
    """

    def __init__(
        self, commit: Commit, *, durable: Durable | None = None, retry_delay_s: float = 1.0
    ) -> None:
        self._commit = commit
        self._durable = durable
        self.retry_delay_s = retry_delay_s
        self._due: dict[TopicPartition, int] = {}
        self._in_hand: dict[TopicPartition, int] = {}
        """By partition, the first record taken from the consumer and not handled yet."""
        self._wanted = asyncio.Event()
        self._one_at_a_time = asyncio.Lock()

    def taken(self, partition: TopicPartition, offset: int) -> None:
        """Records of `partition` from `offset` on were taken from the consumer to handle."""
        self._in_hand[partition] = offset

    def handled(self, partition: TopicPartition, offset: int) -> None:
        """The record at `offset` of `partition` is handled, and so is each before it."""
        if partition not in self._in_hand:
            # Revoked while it was handled: its new owner commits from there (and aiokafka
            # would refuse, with the partitions committed alongside, an unassigned one).
            return
        self._in_hand[partition] = offset + 1
        self._due[partition] = offset + 1
        self._wanted.set()

    def put_down(self, partition: TopicPartition) -> None:
        """The records taken from `partition` are handled, or will be read again."""
        self._in_hand.pop(partition, None)

    def in_hand(self, partition: TopicPartition) -> int | None:
        """The first record of `partition` taken and not handled yet, if any: the consumer's
        position is past the records taken, this is where handling stands."""
        return self._in_hand.get(partition)

    @property
    def due(self) -> dict[TopicPartition, int]:
        """The offsets not committed yet (nor being committed)."""
        return dict(self._due)

    async def run(self) -> None:
        """Commit what becomes due, until cancelled."""
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            if not await self.flush():
                await asyncio.sleep(self.retry_delay_s)
                self._wanted.set()

    async def flush(self, partitions: Collection[TopicPartition] | None = None) -> bool:
        """Commit now what is due (in `partitions`, or in all), after any commit in flight;
        False if the commit failed (what it carried stays due)."""
        async with self._one_at_a_time:
            chosen = self._due.keys() if partitions is None else self._due.keys() & partitions
            due = {partition: self._due.pop(partition) for partition in list(chosen)}
            if not due:
                return True
            try:
                # Every record in `due` was handled before this point: their work is flushed.
                if self._durable is not None and not await self._durable():
                    self._keep_due(due)
                    return False
                await self._commit(due)
            except asyncio.CancelledError:
                # Stopping: whoever flushes last commits these (or a restart reads them again).
                self._keep_due(due)
                raise
            except KafkaError as error:
                # The group is rebalancing, or the coordinator moved: these go with the next
                # commit. Those of a partition taken away are forgotten once it is (`retain`).
                log.warning("committing offsets failed: %s", type(error).__name__)
                self._keep_due(due)
                return False
            return True

    def _keep_due(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Due again, unless a record handled meanwhile made a later offset due."""
        for partition, offset in offsets.items():
            self._due.setdefault(partition, offset)

    def retain(self, partitions: Collection[TopicPartition]) -> None:
        """Forget what is due in partitions no longer assigned: their new owner has them."""
        for partition in self._due.keys() - set(partitions):
            del self._due[partition]


class CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commits what was handled in the partitions taken away before they go to another
    consumer (which then starts after them), then tells `inner`, if any."""

    def __init__(self, commits: OffsetCommits, inner: ConsumerRebalanceListener | None) -> None:
        self.commits = commits
        self.inner = inner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        for partition in revoked:
            # The rest of a batch taken from it is its new owner's to handle.
            self.commits.put_down(partition)
        await self.commits.flush(revoked)
        if self.inner is not None:
            await self.inner.on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.commits.retain(assigned)
        if self.inner is not None:
            await self.inner.on_partitions_assigned(assigned)
