"""Draining a deferred backlog: seeded straight into PostgreSQL, then emptied by the gate (regions
flipped UP) or by the bare asyncpg loop, and checked at SIAK for order and exactly-once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from bench import database, procs
from bench.children import run_child
from bench.context import BenchContext
from shared.events import SiakStatus

POLL_S = 0.5
MIN_DRAIN_TIMEOUT_S = 120.0
SLOWEST_RATE_PER_S = 20.0
"""Below this the drain is given up on: a bound on how long one drain may take."""
SETTLE_TIMEOUT_S = 60.0
DRAIN_WATCHED = ("queue_gate", "postgres", "kafka", "siak_sim")


@dataclass(frozen=True)
class Verdict:
    in_order: bool
    """Each region's received tickets are its first ones, in acceptance order."""
    exactly_once: bool
    received: int
    duplicates: int
    delivered_rows: int


@dataclass(frozen=True)
class DrainRun:
    rows: int
    """Rows delivered in the timed part: the whole batch, unless the drain was time-boxed."""
    seconds: float
    batch: int
    verdict: Verdict | None = None
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def rate_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")

    @property
    def complete(self) -> bool:
        return self.rows == self.batch

    @property
    def seconds_for_batch(self) -> float:
        """Measured when complete, else projected from the rate of the timed part."""
        return self.seconds if self.complete else self.batch / self.rate_per_s


def drain_timeout(rows: int) -> float:
    return max(MIN_DRAIN_TIMEOUT_S, rows / SLOWEST_RATE_PER_S)


@dataclass(frozen=True)
class Backlog:
    """Rows laid once in the regions that stay closed: every row after `last_seq` is a
    measurement's own, cleared before the next one."""

    rows: int
    last_seq: int
    laid_s: float


async def lay_backlog(ctx: BenchContext, rows: int) -> Backlog:
    """An empty table, then `rows` deferred in the regions that stay closed (COPY), settled."""
    started = time.perf_counter()
    await database.empty_submissions(ctx.db)
    if rows:
        await database.seed_deferred(
            ctx.db,
            ctx.rows,
            ctx.regions.background,
            rows,
            key_prefix=f"bg-{time.time_ns()}",
            keep_order=False,
        )
    await database.settle(ctx.db)
    seq = await database.last_seq(ctx.db)
    return Backlog(rows, seq, time.perf_counter() - started)


async def seed(ctx: BenchContext, *, batch: int, background: int | Backlog) -> dict[str, list[str]]:
    """The batch in the replayed regions, behind `background`: a backlog laid earlier (what
    came after it cleared), or that many rows laid now in an empty table."""
    stamp = time.time_ns()
    if isinstance(background, Backlog):
        await database.clear_after(ctx.db, background.last_seq)
    else:
        await database.empty_submissions(ctx.db)
        if background:
            await database.seed_deferred(
                ctx.db, ctx.rows, ctx.regions.background, background, key_prefix=f"bg-{stamp}"
            )
    return await database.seed_deferred(
        ctx.db, ctx.rows, ctx.regions.replay, batch, key_prefix=f"batch-{stamp}"
    )


async def raw_drain(ctx: BenchContext, *, batch: int, background: int | Backlog) -> DrainRun:
    """Baseline (a): read and mark the same rows, in the same order, with bare asyncpg."""
    await seed(ctx, batch=batch, background=background)
    timeout = drain_timeout(batch)
    result = await run_child(
        "bench.rawdb",
        ["drain", "--regions", ",".join(ctx.regions.replay), "--timeout-s", str(timeout)],
        env=ctx.child_env(),
        timeout_s=timeout + 60,
    )
    return DrainRun(rows=result["rows"], seconds=result["elapsed_s"], batch=batch)


async def gate_drain(
    ctx: BenchContext, *, batch: int, background: int | Backlog, cap_s: float | None = None
) -> DrainRun:
    """The gate replays the batch once its regions are UP, timed until no row waits or until
    `cap_s` has passed; then the regions go DOWN again and what SIAK received is checked."""
    order = await seed(ctx, batch=batch, background=background)
    regions = ctx.regions.replay
    async with httpx.AsyncClient(base_url=ctx.access.sim_url, timeout=60) as sim:
        (await sim.post("/_control/reset")).raise_for_status()
        watched = {k: v for k, v in ctx.stack.pids().items() if k in DRAIN_WATCHED}
        before = procs.cpu_snapshot(watched)
        started = time.perf_counter()
        await ctx.statuses.publish_all(list(regions), SiakStatus.UP)
        try:
            limit = drain_timeout(batch) if cap_s is None else cap_s
            waiting = await _until_drained(ctx, started + limit, capped=cap_s is not None)
            seconds = time.perf_counter() - started
            cpu = procs.cpu_delta(before, procs.cpu_snapshot(watched))
        finally:
            await ctx.statuses.publish_all(list(regions), SiakStatus.DOWN)
        await _until_settled(ctx)
        verdict = await _verify(ctx, sim, order)
    return DrainRun(rows=batch - waiting, seconds=seconds, batch=batch, verdict=verdict, cpu_s=cpu)


async def _until_drained(ctx: BenchContext, deadline: float, *, capped: bool) -> int:
    """Rows still waiting when the line emptied (0) or the cap came."""
    while (waiting := await database.waiting_in(ctx.db, ctx.regions.replay)) > 0:
        if time.perf_counter() > deadline:
            if capped:
                return waiting
            raise TimeoutError("the gate did not drain the backlog in time")
        await asyncio.sleep(POLL_S)
    return 0


async def _until_settled(ctx: BenchContext) -> None:
    """No submission of the batch is on its way to SIAK any more."""
    deadline = time.perf_counter() + SETTLE_TIMEOUT_S
    while (await database.states_in(ctx.db, ctx.regions.replay)).get("dispatching", 0):
        if time.perf_counter() > deadline:
            raise TimeoutError("submissions stayed in dispatching after their regions closed")
        await asyncio.sleep(POLL_S)


async def _verify(
    ctx: BenchContext, sim: httpx.AsyncClient, order: dict[str, list[str]]
) -> Verdict:
    """SIAK got each region's tickets once, in acceptance order, as many as the rows say."""
    in_order = exactly_once = True
    received = duplicates = 0
    for region, expected in order.items():
        answer = (await sim.get("/_control/received", params={"region": region})).json()
        keys = [item["key"] for item in answer["items"]]
        received += len(keys)
        duplicates += answer["duplicates"]
        in_order &= keys == expected[: len(keys)]
        exactly_once &= len(keys) == len(set(keys)) and answer["duplicates"] == 0
    delivered = (await database.states_in(ctx.db, ctx.regions.replay)).get("delivered", 0)
    return Verdict(
        in_order=in_order,
        exactly_once=exactly_once and delivered == received,
        received=received,
        duplicates=duplicates,
        delivered_rows=delivered,
    )
