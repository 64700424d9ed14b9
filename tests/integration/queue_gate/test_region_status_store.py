"""The PostgreSQL region status store: (epoch, seq) order, per-region freshness, gate news."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.region_status_store import (
    PostgresGateAnnouncer,
    PostgresRegionStatusStore,
)
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting
from shared.events import MonitorHeartbeat, RegionSnapshot, SiakStatus, StatusChanged
from shared.events.gate import GateCause

pytestmark = pytest.mark.integration

MAKASSAR, BANDA_ACEH = "73.71", "11.71"


def change(region: str, status: SiakStatus, *, seq: int, epoch: int = 0) -> StatusChanged:
    return StatusChanged(
        region_code=region,
        status=status,
        previous_status=None,
        since=datetime.now(UTC),
        seq=seq,
        epoch=epoch,
    )


def heartbeat(*regions: str, ahead: timedelta = timedelta(0)) -> MonitorHeartbeat:
    return MonitorHeartbeat(
        monitor_id="monitor-1",
        emitted_at=datetime.now(UTC) + ahead,
        period_seconds=10,
        regions=[RegionSnapshot(region_code=r, status=SiakStatus.UP, seq=1) for r in regions],
    )


async def test_a_new_epoch_replaces_the_stored_sequence(pool: asyncpg.Pool) -> None:
    store = PostgresRegionStatusStore(pool)
    assert await store.apply(change(MAKASSAR, SiakStatus.UP, seq=500))

    assert await store.apply(change(MAKASSAR, SiakStatus.DOWN, seq=1, epoch=1_700_000_000_000))
    assert not await store.apply(change(MAKASSAR, SiakStatus.UP, seq=501))

    known = await store.get(MAKASSAR)
    assert known is not None
    assert (known.status, known.epoch, known.seq) == (SiakStatus.DOWN, 1_700_000_000_000, 1)


async def test_a_heartbeat_refreshes_only_the_regions_it_lists(pool: asyncpg.Pool) -> None:
    store = PostgresRegionStatusStore(pool)
    await store.apply(change(MAKASSAR, SiakStatus.UP, seq=1))
    await store.apply(change(BANDA_ACEH, SiakStatus.UP, seq=1))
    applied = await store.snapshot()

    await store.record_heartbeat(heartbeat(MAKASSAR))

    heard = await store.snapshot()
    assert heard.last_heard_at(MAKASSAR) > applied.last_heard_at(MAKASSAR)  # type: ignore[operator]
    assert heard.last_heard_at(BANDA_ACEH) == applied.last_heard_at(BANDA_ACEH)
    assert await store.last_heard_at(BANDA_ACEH) == applied.applied_at[BANDA_ACEH]
    assert await store.last_heard_at(MAKASSAR) == heard.heartbeat_at[MAKASSAR]


async def test_a_heartbeat_from_the_future_does_not_hold_off_those_after_it(
    pool: asyncpg.Pool,
) -> None:
    store = PostgresRegionStatusStore(pool)
    await store.record_heartbeat(heartbeat(MAKASSAR, ahead=timedelta(hours=1)))
    first = await store.last_heard_at(MAKASSAR)

    await store.record_heartbeat(heartbeat(MAKASSAR))

    later = await store.last_heard_at(MAKASSAR)
    assert first is not None and later is not None and later > first


def sighting(seen: GateState, cause: GateCause = "siak_status") -> GateSighting:
    return GateSighting(
        region_code=MAKASSAR,
        seen=seen,
        siak_status=SiakStatus.UP if seen is not GateState.CLOSED else SiakStatus.UNKNOWN,
        cause=cause,
        reason=None,
        at=datetime.now(UTC),
    )


async def gate_events(pool: asyncpg.Pool) -> list[tuple[str, str, str]]:
    rows = await pool.fetch("SELECT value FROM outbox ORDER BY id")
    data = [json.loads(row["value"])["data"] for row in rows]
    return [(d["previous_gate_state"], d["gate_state"], d["cause"]) for d in data]


async def test_each_turn_of_a_gate_is_told_once_however_many_replicas_see_it(
    pool: asyncpg.Pool,
) -> None:
    store = PostgresRegionStatusStore(pool)
    replicas = [PostgresGateAnnouncer(pool) for _ in range(4)]
    await store.apply(
        change(MAKASSAR, SiakStatus.UP, seq=1), announce=sighting(GateState.RECOVERING)
    )

    await asyncio.gather(*(r.announce([sighting(GateState.CLOSED, "stale")]) for r in replicas))
    await asyncio.gather(*(r.announce([sighting(GateState.RECOVERING)]) for r in replicas))
    await asyncio.gather(
        *(r.announce([sighting(GateState.OPEN, "replay_at_full_rate")]) for r in replicas)
    )

    assert await gate_events(pool) == [
        ("closed", "recovering", "siak_status"),
        ("recovering", "closed", "stale"),
        ("closed", "recovering", "siak_status"),
        ("recovering", "open", "replay_at_full_rate"),
    ]
