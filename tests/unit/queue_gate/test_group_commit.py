"""Group commit: what queues up behind a transaction in flight shares the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest

from services.queue_gate.adapters.postgres.group_commit import GroupCommit
from services.queue_gate.ports import StoreBusyError


class Writer:
    """Writes batches when told to; records each batch it was given."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.proceed = asyncio.Event()
        self.proceed.set()
        self.fail_with: Exception | None = None

    async def write(self, batch: Sequence[int]) -> list[str | Exception]:
        self.batches.append(list(batch))
        await self.proceed.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return [ValueError(f"odd {n}") if n % 2 else f"stored {n}" for n in batch]


async def until(condition: Callable[[], bool], *, what: str) -> None:
    for _ in range(1_000):  # bounded: yields to the tasks under test until it holds
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"never saw {what}")


async def test_a_lone_item_is_written_at_once_in_a_batch_of_its_own() -> None:
    writer = Writer()
    commit = GroupCommit[int, str](writer.write)

    assert await commit.submit(2) == "stored 2"
    assert writer.batches == [[2]]


async def test_items_arriving_while_batches_are_in_flight_share_the_next_one() -> None:
    writer = Writer()
    writer.proceed.clear()
    commit = GroupCommit[int, str](writer.write, max_in_flight=1)
    first = asyncio.create_task(commit.submit(0))
    await until(lambda: len(writer.batches) == 1, what="the first batch in flight")
    queued = [asyncio.create_task(commit.submit(n)) for n in (2, 4, 6)]
    await until(lambda: commit.waiting == 3, what="three items waiting behind it")

    writer.proceed.set()
    answers = await asyncio.gather(first, *queued)

    assert answers == ["stored 0", "stored 2", "stored 4", "stored 6"]
    assert writer.batches == [[0], [2, 4, 6]]


async def test_batches_are_no_larger_than_allowed() -> None:
    writer = Writer()
    writer.proceed.clear()
    commit = GroupCommit[int, str](writer.write, max_batch=2, max_in_flight=1)
    tasks = [asyncio.create_task(commit.submit(n)) for n in (0, 2, 4, 6, 8)]
    await until(lambda: len(writer.batches) == 1, what="the first batch in flight")

    writer.proceed.set()
    await asyncio.gather(*tasks)

    assert writer.batches == [[0], [2, 4], [6, 8]]


async def test_an_item_refused_in_a_batch_fails_alone() -> None:
    writer = Writer()
    writer.proceed.clear()
    commit = GroupCommit[int, str](writer.write, max_in_flight=1)
    tasks = [asyncio.create_task(commit.submit(n)) for n in (0, 1, 2)]
    await until(lambda: len(writer.batches) == 1, what="a batch in flight")

    writer.proceed.set()
    answers = await asyncio.gather(*tasks, return_exceptions=True)

    assert answers[0] == "stored 0"
    assert isinstance(answers[1], ValueError)
    assert answers[2] == "stored 2"


async def test_a_failed_transaction_fails_every_item_of_its_batch_and_not_the_next() -> None:
    writer = Writer()
    writer.fail_with = ConnectionError("database gone")
    commit = GroupCommit[int, str](writer.write)

    with pytest.raises(ConnectionError):
        await commit.submit(2)
    writer.fail_with = None

    assert await commit.submit(4) == "stored 4"


async def test_a_caller_that_gives_up_does_not_take_its_item_out_of_the_batch() -> None:
    writer = Writer()
    writer.proceed.clear()
    commit = GroupCommit[int, str](writer.write)
    impatient = asyncio.create_task(commit.submit(2))
    await until(lambda: len(writer.batches) == 1, what="the batch in flight")

    impatient.cancel()
    writer.proceed.set()
    assert await commit.submit(4) == "stored 4"

    assert writer.batches == [[2], [4]]
    assert commit.items == 2


async def test_past_the_waiting_limit_an_item_is_refused_at_once_and_the_rest_are_written() -> None:
    writer = Writer()
    writer.proceed.clear()
    commit = GroupCommit[int, str](writer.write, max_in_flight=1, max_waiting=2)
    in_flight = asyncio.create_task(commit.submit(0))
    await until(lambda: len(writer.batches) == 1, what="a batch in flight")
    waiting = [asyncio.create_task(commit.submit(n)) for n in (2, 4)]
    await until(lambda: commit.waiting == 2, what="two waiting")

    with pytest.raises(StoreBusyError):
        await commit.submit(6)
    writer.proceed.set()

    assert await asyncio.gather(in_flight, *waiting) == ["stored 0", "stored 2", "stored 4"]
    assert writer.batches == [[0], [2, 4]]
