"""The scenarios of issue 9, each the fault it injects while the load runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import httpx

from chaos import evidence, faults
from chaos.harness import STALE_AFTER_S, FaultEvidenceError, Harness, Inject, Scenario
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
    out, refusing connections, redirecting to a login page.

    Answers that say the gate is misconfigured hold a region's replay for a while: last."""
    serving = [*h.regions.up, *h.regions.down]
    await h.siak(h.regions.down, "up")
    for state, latency in [
        ("invalid", None),
        ("up", None),
        ("slow", 1500),
        ("error", None),
        ("slow", 4000),  # past the gate's SIAK timeout
    ]:
        await h.siak(serving, state, **({"latency_ms": latency} if latency else {}))
        await h.lasting(3)
    await h.siak(serving, "up")
    await siak_refusing_connections(h, seconds=4)
    for state in ("redirect", "unauthorized"):
        await h.siak(serving, state)
        await h.lasting(3)
    await h.siak(serving, "up")


async def siak_refusing_connections(h: Harness, seconds: float) -> None:
    """SIAK refuses every connection of the gate for `seconds`, its log kept; the gate must
    have met the refusals (its deliveries answered `unavailable`)."""
    if h.siak_line is None:
        raise StartError("no line in front of SIAK to cut")
    unavailable = "queue_gate_siak_answers_total"
    before = await h.gate_metric(unavailable, outcome="unavailable")
    await h.siak_line.cut()
    try:
        await h.lasting(seconds)
    finally:
        await h.siak_line.mend()
    met = await h.gate_metric(unavailable, outcome="unavailable") - before
    h.notes["deliveries refused a connection"] = int(met)
    if not met:
        raise FaultEvidenceError("SIAK refused connections but the gate sent nothing meanwhile")


async def fast_flapping(h: Harness) -> None:
    """9. A region flapping every 100 ms under load."""
    h.flap_period_s = 0.1
    try:
        await h.lasting(15)
    finally:
        h.flap_period_s = 2.0


async def postgres_full(h: Harness) -> None:
    """10. PostgreSQL refusing new connections (its limit reached by another client).

    The other client takes every slot and has the gate's sessions ended, so the gate needs
    new connections while none are to be had; intake must answer 503, never 500."""
    since = h.log_offsets()
    async with _every_connection(h.env["DATABASE_URL"]) as hog:
        await hog.hold(seconds=10)
    refused = h.gate_log_lines(since, "the database is unavailable")
    failed = h.gate_log_lines(since, '" 500')
    h.notes.update(
        {"gate sessions ended": hog.ended, "answers 503 (no database)": refused, "500s": failed}
    )
    if failed:
        raise FaultEvidenceError(f"intake answered 500 {failed} times while PostgreSQL was full")
    if not hog.ended or not refused:
        raise FaultEvidenceError("the gate never needed a connection while PostgreSQL was full")


@dataclass
class _Hog:
    """Another client holding every connection PostgreSQL allows."""

    held: list[asyncpg.Connection]
    url: str
    ended: int = 0
    """How many of the others' sessions it has had ended."""

    async def hold(self, seconds: float) -> None:
        """Keep every slot for `seconds`: end the others' sessions (a superuser may), take
        the slots they free before they can."""
        deadline = time.monotonic() + seconds
        mine = [c.get_server_pid() for c in self.held]
        while time.monotonic() < deadline:
            self.ended += int(await self.held[0].fetchval(_END_OTHERS, mine) or 0)
            await self.take_free_slots()
            mine = [c.get_server_pid() for c in self.held]
            await asyncio.sleep(0.2)  # the pace of its sweeps, not synchronisation

    async def take_free_slots(self) -> None:
        while True:
            try:
                self.held.append(await asyncpg.connect(self.url, timeout=5))
            except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError):
                return
            if len(self.held) > 1000:
                raise StartError("PostgreSQL accepted 1000 connections: no limit to reach")


_END_OTHERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND pid <> ALL($1::int[])
"""


@contextlib.asynccontextmanager
async def _every_connection(url: str) -> AsyncIterator[_Hog]:
    hog = _Hog([], url)
    try:
        await hog.take_free_slots()
        if not hog.held:
            raise StartError("PostgreSQL had no connection to spare at all")
        yield hog
    finally:
        for connection in hog.held:
            with contextlib.suppress(Exception):
                await connection.close()


async def monitor_clock_steps(h: Harness) -> None:
    """11. The clock of the monitor's heartbeats stepped forward and back.

    The running monitor's own clock is stepped an hour ahead, then an hour behind the true
    time: the regions SIAK serves must stay open at the gate all along. Then, stepped ahead,
    it is frozen: its heartbeats from the future must not keep its regions fresh."""
    bootstrap = h.env["KAFKA_BOOTSTRAP_SERVERS"]
    since = time.time()
    seen: list[str] = []
    watching = asyncio.create_task(_watch_statuses(h, h.regions.up, seen))
    try:
        for hours in (+1, -1, 0):
            h.step_monitor_clock(hours * 3600)
            await h.lasting(STALE_AFTER_S * 2)
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
    h.step_monitor_clock(+3600)
    await h.frozen_for("siak_monitor", STALE_AFTER_S * 3)
    h.reset_monitor_clock()
    records = await evidence.read_topics(bootstrap, [topics.SIAK_STATUS, topics.MONITOR_HEARTBEAT])
    stepped = [r for r in records if r.at >= since]
    skews = [_skew_s(r) for r in stepped if r.topic == topics.MONITOR_HEARTBEAT]
    h.notes.update(
        {
            "heartbeats stamped an hour ahead": sum(s > 1800 for s in skews),
            "an hour behind": sum(s < -1800 for s in skews),
            "up regions seen stale": seen.count(STALE_AT_GATE),
            "seq not increasing": _seq_regressions(stepped),
        }
    )
    if not (max(skews, default=0) > 1800 and min(skews, default=0) < -1800):
        raise FaultEvidenceError("the monitor's heartbeats were not stamped by a stepped clock")
    if seen.count(STALE_AT_GATE) or h.notes["seq not increasing"]:
        raise FaultEvidenceError("the monitor's stepped clock closed a gate or reordered seq")


def _skew_s(heartbeat: evidence.Record) -> float:
    """How far ahead of its writing a heartbeat was stamped (behind: negative)."""
    with contextlib.suppress(ValueError, KeyError, TypeError):
        emitted = datetime.fromisoformat(json.loads(heartbeat.value)["data"]["emitted_at"])
        return emitted.timestamp() - heartbeat.at
    return 0.0


STALE_AT_GATE = "UNKNOWN"
"""What the gate shows of a region not heard of within its staleness limit."""


async def _watch_statuses(h: Harness, regions: tuple[str, ...], seen: list[str]) -> None:
    while True:
        for region in regions:
            with contextlib.suppress(httpx.HTTPError):
                seen.append(await h.gate_status(region))
        await asyncio.sleep(0.25)  # the pace of looking, not synchronisation


def _seq_regressions(records: list[evidence.Record]) -> int:
    """Status records of a region whose (epoch, seq) is not above the one before it."""
    last: dict[str, tuple[int, int]] = {}
    regressions = 0
    for record in records:
        if record.topic != topics.SIAK_STATUS:
            continue
        with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
            data = json.loads(record.value)["data"]
            order = (int(data["epoch"]), int(data["seq"]))
            regressions += order <= last.get(data["region_code"], (-1, -1))
            last[data["region_code"]] = order
    return regressions


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
    Scenario(8, "SIAK slow, 5xx, timeouts, refusing, redirect, echo", siak_misbehaving),
    Scenario(9, "region flapping every 100 ms", fast_flapping),
    Scenario(10, "PostgreSQL out of connections", postgres_full),
    Scenario(11, "monitor clock stepped ahead and back", monitor_clock_steps),
)
