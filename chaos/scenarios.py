"""The scenarios of issue 9, each the fault it injects while the load runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg

from chaos import evidence, faults
from chaos.harness import STALE_AFTER_S, Harness, Inject, Scenario
from deploy.local.processes import StartError
from shared import topics

BROKER_FREEZE_S = 30.0


async def kill_gate_mid_replay(h: Harness) -> None:
    """1. kill -9 queue_gate between SIAK's answer and recording it; restart.

    SIAK answering slowly keeps many sends in that window while the backlog replays."""
    await h.siak(h.regions.down, "slow", latency_ms=150)
    await h.until(lambda: _some_received(h), "the backlog's replay starting")
    for _ in range(3):
        await h.crash_and_restart("queue_gate")
        await h.lasting(2)


async def _some_received(h: Harness) -> bool:
    return await h.received_count(h.regions.down) > 0


def kill_gate_during_intake(times: int = 4) -> Inject:
    """2. kill -9 queue_gate after an intake commit, before the reply; the client retries."""

    async def inject(h: Harness) -> None:
        for _ in range(times):
            await h.crash_and_restart("queue_gate")
            await h.lasting(1.5)

    return inject


async def kill_postgres(h: Harness) -> None:
    """3. kill -9 PostgreSQL during an intake burst, and separately an immediate shutdown."""
    await h.crash_and_restart("postgres")
    await h.lasting(4)
    faults.signal_component(h.component("postgres"), signal.SIGQUIT)  # "immediate" shutdown
    await h.restart("postgres")


async def broker_crash_and_freeze(h: Harness) -> None:
    """4. kill -9 the broker, and separately SIGSTOP it for 30 s, while a region flaps."""
    await h.crash_and_restart("kafka")
    await h.lasting(5)
    await h.frozen_for("kafka", BROKER_FREEZE_S)


async def freeze_monitor(h: Harness) -> None:
    """5. SIGSTOP siak_monitor for longer than the staleness limit, then SIGCONT."""
    await h.frozen_for("siak_monitor", STALE_AFTER_S * 3)


async def odd_status_records(h: Harness) -> None:
    """6. Duplicate, stale, reordered and unreadable status records written into the topic."""
    bootstrap = h.env["KAFKA_BOOTSTRAP_SERVERS"]
    records = await evidence.read_topics(bootstrap, [topics.SIAK_STATUS])
    by_region: dict[str, list[evidence.Record]] = {}
    for record in records:
        data = json.loads(record.value).get("data", {})
        by_region.setdefault(str(data.get("region_code")), []).append(record)
    raw: list[tuple[bytes | None, bytes]] = []
    for region in h.regions.all:
        history = by_region.get(region, [])
        if not history:
            continue
        key = region.encode()
        raw.append((key, history[-1].value))  # a duplicate of the latest
        raw += [(key, r.value) for r in reversed(history[:-1][-3:])]  # stale, and reordered
    raw += [
        (b"73.71", b"\xff not json"),
        (b"73.71", b'{"specversion": "1.0", "type": "id.siakgate.siak.status.changed.v1"}'),
        (b"73.71", b'{"specversion": "1.0", "data": {"region_code": "73.71", "seq": -1}}'),
        (b"73.72", b"{}"),
    ]
    headers = [("content-type", b"application/cloudevents+json")]
    await faults.write_raw(bootstrap, topics.SIAK_STATUS, raw, headers)


async def second_gate(h: Harness) -> None:
    """7. A second queue_gate joining and leaving during replay (rebalance, lease hand-over)."""
    await h.siak(h.regions.down, "slow", latency_ms=100)
    await h.until(lambda: _some_received(h), "the backlog's replay starting")
    replica = h.second_gate(free_port())
    await faults.restart(replica)
    await h.lasting(4)
    await asyncio.to_thread(replica.stop)  # leaves politely
    await h.lasting(2)
    await faults.restart(replica)
    await h.lasting(3)
    await h.crash_and_restart("queue_gate")  # the first one leaves abruptly
    await h.lasting(3)
    faults.kill(replica)


async def siak_misbehaving(h: Harness) -> None:
    """8. SIAK refusing with a body that echoes the submission, slow, answering 5xx, timing
    out, redirecting to a login page (refusing connections would lose the simulator's log).

    Answers that say the gate is misconfigured hold a region's replay for a while: last."""
    serving = [*h.regions.up, *h.regions.down]
    await h.siak(h.regions.down, "up")
    for state, latency in [
        ("invalid", None),
        ("up", None),
        ("slow", 1500),
        ("error", None),
        ("slow", 4000),  # past the gate's SIAK timeout
        ("redirect", None),
        ("unauthorized", None),
    ]:
        await h.siak(serving, state, **({"latency_ms": latency} if latency else {}))
        await h.lasting(3)
    await h.siak(serving, "up")


async def fast_flapping(h: Harness) -> None:
    """9. A region flapping every 100 ms under load."""
    h.flap_period_s = 0.1
    try:
        await h.lasting(15)
    finally:
        h.flap_period_s = 2.0


async def postgres_full(h: Harness) -> None:
    """10. PostgreSQL refusing new connections (its limit reached by another client)."""
    async with _every_connection(h.env["DATABASE_URL"]):
        await h.lasting(10)


@contextlib.asynccontextmanager
async def _every_connection(url: str) -> AsyncIterator[int]:
    held: list[asyncpg.Connection] = []
    try:
        while True:
            try:
                held.append(await asyncpg.connect(url, timeout=5))
            except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError):
                break
            if len(held) > 1000:
                raise StartError("PostgreSQL accepted 1000 connections: no limit to reach")
        yield len(held)
    finally:
        for connection in held:
            with contextlib.suppress(Exception):
                await connection.close()


async def heartbeat_clock_steps(h: Harness) -> None:
    """11. The clock of the monitor's heartbeats stepped forward and back.

    The system clock is shared, so the monitor's stepped heartbeats are forged from its last
    one; then it is frozen: a heartbeat from the future must not keep its regions fresh."""
    bootstrap = h.env["KAFKA_BOOTSTRAP_SERVERS"]
    records = await evidence.read_topics(bootstrap, [topics.MONITOR_HEARTBEAT])
    if not records:
        raise StartError("no heartbeat to step")
    last = records[-1]
    event = json.loads(last.value)
    stepped = []
    for hours in (+1, -1, +24):
        forged = json.loads(last.value)
        emitted = _shifted(event["data"]["emitted_at"], hours)
        forged["data"]["emitted_at"] = emitted
        forged["time"] = emitted
        stepped.append((str(event["data"]["monitor_id"]).encode(), json.dumps(forged).encode()))
    headers = [("content-type", b"application/cloudevents+json")]
    await faults.write_raw(bootstrap, topics.MONITOR_HEARTBEAT, stepped, headers)
    await h.frozen_for("siak_monitor", STALE_AFTER_S * 3)


def _shifted(moment: str, hours: int) -> str:
    return (datetime.fromisoformat(moment) + timedelta(hours=hours)).isoformat()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


SCENARIOS = (
    Scenario(1, "kill -9 queue_gate mid-replay", kill_gate_mid_replay),
    Scenario(2, "kill -9 queue_gate mid-intake, client retries", kill_gate_during_intake()),
    Scenario(3, "kill -9 / immediate shutdown of PostgreSQL", kill_postgres),
    Scenario(4, "kill -9 / SIGSTOP 30 s the broker", broker_crash_and_freeze),
    Scenario(5, "SIGSTOP siak_monitor past staleness", freeze_monitor),
    Scenario(6, "odd records in siak.status.v1", odd_status_records),
    Scenario(7, "second queue_gate joins and leaves", second_gate),
    Scenario(8, "SIAK slow, 5xx, timeouts, redirect, echo", siak_misbehaving),
    Scenario(9, "region flapping every 100 ms", fast_flapping),
    Scenario(10, "PostgreSQL out of connections", postgres_full),
    Scenario(11, "heartbeat clock stepped", heartbeat_clock_steps),
)
