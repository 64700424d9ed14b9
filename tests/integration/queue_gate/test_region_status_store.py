"""What the PostgreSQL gate announcer writes to the outbox; the rest is in tests/contract."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.region_status_store import (
    PostgresGateAnnouncer,
    PostgresRegionStatusStore,
)
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting
from shared.events import SiakStatus, StatusChanged
from shared.events.gate import GateCause

pytestmark = pytest.mark.integration

MAKASSAR = "73.71"


def change(region: str, status: SiakStatus, *, seq: int) -> StatusChanged:
    return StatusChanged(
        region_code=region,
        status=status,
        previous_status=None,
        since=datetime.now(UTC),
        seq=seq,
    )


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
