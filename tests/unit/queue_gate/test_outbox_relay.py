"""The outbox relay while Kafka is away: it waits for the link a while at a time, holding
nothing, and relays everything in order once the link is up; under steady intake it gathers
rows between batches rather than sending a few at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from services.queue_gate.adapters.postgres.outbox import OutboxRelay
from services.queue_gate.adapters.postgres.wal_flush import FLUSH_WAL
from tests.support.background import in_background
from tests.support.polling import eventually
from tests.unit.queue_gate.fake_gate import FakeKafka

TOPIC = "queue-gate.events.v1"


class FakeOutbox:
    """The outbox table and the relay's lock, reached through connections of their own."""

    def __init__(self, rows: int) -> None:
        self.rows: list[dict[str, Any]] = [
            {"id": n, "topic": TOPIC, "key": b"k", "value": b"%d" % n} for n in range(rows)
        ]
        self.opened = 0
        self.open = 0
        self.most_open = 0
        self.lock_holder: FakeOutboxConnection | None = None
        self.flushed: set[int] = set()
        """The rows known to be on disk (a status change's news commits without its flush)."""
        self.fetched: list[int] = []
        """How many rows each fetch found."""

    def add(self, rows: int) -> None:
        first = len(self.fetched) * 1000  # ids above any taken before
        self.rows += [
            {"id": first + n, "topic": TOPIC, "key": b"k", "value": b"%d" % (first + n)}
            for n in range(rows)
        ]

    async def connect(self) -> Any:  # an asyncpg connection, as far as the relay goes
        self.opened += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        return FakeOutboxConnection(self)


class FakeOutboxConnection:
    def __init__(self, outbox: FakeOutbox) -> None:
        self.outbox = outbox

    async def fetchval(self, query: str, *_args: object) -> bool:
        assert "pg_try_advisory_lock" in query
        if self.outbox.lock_holder is None:
            self.outbox.lock_holder = self
        return self.outbox.lock_holder is self

    async def fetch(self, _query: str, limit: int) -> list[dict[str, Any]]:
        self.outbox.fetched.append(len(self.outbox.rows[:limit]))
        return self.outbox.rows[:limit]

    async def execute(self, query: str, *args: list[int]) -> None:
        if query == FLUSH_WAL:
            # A synchronous commit: every row committed before it is on disk now.
            self.outbox.flushed.update(row["id"] for row in self.outbox.rows)
            return
        (ids,) = args
        self.outbox.rows = [row for row in self.outbox.rows if row["id"] not in ids]

    async def close(self) -> None:
        if self.outbox.lock_holder is self:
            self.outbox.lock_holder = None
        self.outbox.open -= 1


async def test_the_relay_waits_for_a_link_not_started_holding_nothing_then_relays_in_order() -> (
    None
):
    outbox = FakeOutbox(rows=7)
    link = FakeKafka()
    waits = 0

    async def kafka_ready() -> None:
        nonlocal waits
        waits += 1
        await link.wait_started()

    relay = OutboxRelay(
        outbox.connect,
        link.publish,
        kafka_ready=kafka_ready,
        kafka_wait_s=0.02,
        batch=3,
        idle_interval_s=0.01,
    )
    async with in_background(relay.run()):
        # It keeps coming back to Kafka (no wait without end), and leaves the relay's lock
        # free meanwhile for a replica whose link is up.
        await eventually(lambda: _true(waits >= 3), within=5, interval=0.01)
        assert outbox.lock_holder is None and outbox.open == 0
        assert len(outbox.rows) == 7

        async with in_background(link.run()):
            await eventually(lambda: _true(not outbox.rows), within=5, interval=0.01)

    assert [value for _, _, value, _ in link.published] == [b"%d" % n for n in range(7)]


async def test_a_link_that_stops_while_handing_over_lets_go_of_the_lock() -> None:
    outbox = FakeOutbox(rows=4)
    never = asyncio.Event()
    handed: list[bytes] = []

    async def stuck(
        _topic: str, _key: bytes | None, value: bytes, _headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        # As `KafkaLink.publish` does once its link has stopped and cannot start again.
        handed.append(value)
        await never.wait()
        raise AssertionError("unreachable")

    async def ready() -> None:
        return None

    relay = OutboxRelay(
        outbox.connect, stuck, kafka_ready=ready, kafka_wait_s=0.02, idle_interval_s=0.01
    )
    async with in_background(relay.run()):
        # Handed over again and again, each time on a new connection.
        await eventually(lambda: _true(len(handed) >= 3), within=5, interval=0.01)

    assert outbox.opened >= 3 and outbox.most_open == 1  # each one closed, and its lock freed
    assert len(outbox.rows) == 4  # nothing leaves the outbox unacknowledged


async def test_after_a_batch_short_of_full_the_relay_gathers_before_it_fetches_again() -> None:
    outbox = FakeOutbox(rows=4)
    link = FakeKafka()
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if seconds == GATHER_S and len(pauses) == 1:
            outbox.add(2)  # submissions accepted while the relay gathers
        if seconds != GATHER_S:
            await asyncio.Event().wait()  # any other pause parks the relay until cancelled
        await asyncio.sleep(0)

    relay = OutboxRelay(
        outbox.connect,
        link.publish,
        kafka_ready=link.wait_started,
        batch=3,
        idle_interval_s=IDLE_S,
        gather_s=GATHER_S,
        sleep=sleep,
    )
    async with in_background(link.run()), in_background(relay.run()):
        await eventually(lambda: _true(IDLE_S in pauses), within=5, interval=0.01)

    # A full batch is followed at once by the next; a short one by a pause to gather; an
    # empty outbox by the idle wait.
    assert outbox.fetched == [3, 1, 2, 0]
    assert pauses == [GATHER_S, GATHER_S, IDLE_S]
    relayed = [value for _, _, value, _ in link.published]
    assert relayed == [b"%d" % n for n in (0, 1, 2, 3, 2000, 2001)]


GATHER_S = 0.25
IDLE_S = 0.5


async def _true(condition: bool) -> bool:
    return condition


async def test_the_relay_publishes_no_row_before_it_is_on_disk() -> None:
    outbox = FakeOutbox(rows=3)
    published: list[tuple[bytes, bool]] = []

    async def publish(
        _topic: str, _key: bytes, value: bytes, _headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        published.append((value, int(value) in outbox.flushed))
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged

    async def kafka_ready() -> None:
        return None

    relay = OutboxRelay(outbox.connect, publish, kafka_ready=kafka_ready, batch=10)

    assert await relay.relay_batch(await outbox.connect()) == 3

    assert published == [(b"0", True), (b"1", True), (b"2", True)]
    assert outbox.rows == []
