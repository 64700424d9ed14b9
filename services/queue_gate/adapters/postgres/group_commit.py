"""Group commit: requests that arrive while a transaction is being written share the next one.

A lone request is written at once, in a batch of one. Under load, everything that queued up
behind the batches in flight goes into the next, up to `max_batch`: one transaction, one
commit (and one WAL flush) for many requests, each still answered only once its own batch
has committed. At most `max_waiting` wait behind the batches in flight: past that a request
is refused at once (`StoreBusyError`), rather than held while the database is slow or away.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from services.queue_gate.ports import StoreBusyError

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")

WriteBatch = Callable[[Sequence[Item]], Awaitable[Sequence[Outcome | Exception]]]
"""Writes a batch in one transaction; per item, its outcome or the error it gets (in order)."""


class GroupCommit(Generic[Item, Outcome]):
    def __init__(
        self,
        write: WriteBatch[Item, Outcome],
        *,
        max_batch: int = 256,
        max_in_flight: int = 2,
        max_waiting: int = 2048,
    ) -> None:
        self._write = write
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.max_waiting = max_waiting
        self._waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        self.items = 0

    @property
    def waiting(self) -> int:
        """Items waiting behind the batches in flight."""
        return len(self._waiting)

    async def submit(self, item: Item) -> Outcome:
        """Write `item` with whatever else is waiting; its outcome once its batch committed."""
        if self.waiting >= self.max_waiting:
            raise StoreBusyError(f"{self.waiting} writes already wait for a commit")
        answer: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, answer))
        self._start_batches()
        # A caller that gives up (a client gone) cancels only its answer, not its item:
        # the batch is written all the same, and a cancelled answer is skipped. No shield,
        # which costs a task wrapper per write.
        return await answer

    def _start_batches(self) -> None:
        while self._waiting and self._in_flight < self.max_in_flight:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            self._in_flight += 1
            task = asyncio.create_task(self._commit(batch), name="group commit")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self._write([item for item, _ in batch])
        except BaseException as error:
            failure = error if isinstance(error, Exception) else asyncio.CancelledError()
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(failure)
            if not isinstance(error, Exception):
                raise
        else:
            self.batches += 1
            self.items += len(batch)
            for (_, answer), outcome in zip(batch, outcomes, strict=True):
                if answer.done():
                    continue
                if isinstance(outcome, Exception):
                    answer.set_exception(outcome)
                else:
                    answer.set_result(outcome)
        finally:
            self._in_flight -= 1
            self._start_batches()
