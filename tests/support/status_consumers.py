"""The gate's status consumer (its real Kafka link and PostgreSQL stores) run by a test, or
by a process a test kills."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from services.queue_gate.adapters.kafka_link import SESSION_TIMEOUT_MS, KafkaLink
from services.queue_gate.adapters.postgres.region_status_store import (
    PostgresGateAnnouncer,
    PostgresRegionStatusStore,
)
from services.queue_gate.adapters.postgres.wal_flush import WalFlushBarrier
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.entrypoints.status_consumer import (
    CatchUpRetries,
    Persistence,
    subscribe_to_status,
)
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.handlers.status_updates import record_status_change
from services.queue_gate.status_catch_up import StatusCatchUp
from shared import topics
from shared.events import KafkaRecord, SiakStatus, StatusChanged, encode_event, new_event
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.support.kafka import start_group_at_end

Applied = Callable[[StatusChanged, bool], Awaitable[None]]
"""Told of each change once its transaction is over, and whether it changed anything."""


def status_record(region: str, status: SiakStatus, seq: int, **fields: Any) -> KafkaRecord:
    """A status change as the monitor publishes it."""
    change = StatusChanged(
        region_code=region,
        status=status,
        previous_status=None,
        since=datetime.now(UTC),
        seq=seq,
        **fields,
    )
    return encode_event(new_event(change, source="/tests", subject=region))


async def status_group(bootstrap: str, prefix: str = "test-gate") -> str:
    """A new consumer group for the gate's status consumer, whose reading starts at the end
    the status topic has now: only what is published from now on is its business.

    Why: every test's records stay on the session's broker, and a gate of a new group reads
    them all from the start, one transaction each (2.2 ms a record here; the catch-up test
    alone leaves 300). Take the group before publishing what the test's gate must read.
    A new group reading the topic from its start stays shown by the gates the e2e stacks start
    after their monitor, and by the SASL_SSL and cluster tests' gates (decision 23)."""
    await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.GATE_TOPICS)
    group = f"{prefix}-{uuid.uuid4()}"
    await start_group_at_end(bootstrap, group, topics.SIAK_STATUS)
    return group


@contextlib.asynccontextmanager
async def status_consumer(
    bootstrap: str,
    store: PostgresRegionStatusStore,
    *,
    max_delay_s: float = 10.0,
    group_id: str | None = None,
    on_applied: Applied | None = None,
    session_timeout_ms: int = SESSION_TIMEOUT_MS,
) -> AsyncIterator[StatusCatchUp]:
    await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.GATE_TOPICS)
    link = KafkaLink(
        KafkaSettings.plaintext(bootstrap),
        prepare=_nothing_to_prepare,
        session_timeout_ms=session_timeout_ms,
    )
    catch_up = StatusCatchUp()
    policy = GatePolicy(
        stale_after=timedelta(minutes=5),
        degraded_is_open=True,
        default_intake_mode=IntakeMode.DEFER,
    )

    async def apply_change(change: StatusChanged) -> bool:
        applied = await record_status_change(
            change,
            store=store,
            announcer=PostgresGateAnnouncer(store.pool),
            policy=policy,
            now=datetime.now(UTC),
        )
        if on_applied is not None:
            await on_applied(change, applied)
        return applied

    retries = CatchUpRetries(catch_up)
    subscribe_to_status(
        link,
        group_id=group_id or await status_group(bootstrap),
        apply_change=apply_change,
        retries=retries,
        durable=WalFlushBarrier(store.pool).flushed,
        persistence=Persistence(first_delay_s=0.01, max_delay_s=max_delay_s),
    )
    running = [asyncio.create_task(link.run()), asyncio.create_task(retries.run())]
    try:
        await asyncio.wait_for(link.wait_started(), timeout=30)
        yield catch_up
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


async def _nothing_to_prepare() -> None:
    return None
