"""What the gate spends holding a backlog while every region is closed and no one submits."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bench import database, procs
from bench.context import BenchContext


@dataclass(frozen=True)
class IdleCost:
    gate_core_share: float
    postgres_core_share: float
    sessions_per_s: float
    commits_per_s: float


async def idle_cost(ctx: BenchContext, seconds: float) -> IdleCost:
    watched = {k: v for k, v in ctx.stack.pids().items() if k in ("queue_gate", "postgres")}
    await asyncio.sleep(ctx.config.idle_settle_s)
    before, activity = procs.cpu_snapshot(watched), await database.activity(ctx.db)
    await asyncio.sleep(seconds)
    spent = procs.cpu_delta(before, procs.cpu_snapshot(watched))
    done = (await database.activity(ctx.db)).minus(activity)
    return IdleCost(
        gate_core_share=spent.get("queue_gate", float("nan")) / seconds,
        postgres_core_share=spent.get("postgres", float("nan")) / seconds,
        sessions_per_s=done.sessions / seconds,
        commits_per_s=done.commits / seconds,
    )
