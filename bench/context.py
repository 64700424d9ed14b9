"""Everything the measurements share while the stack runs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench.config import BenchConfig
from bench.database import connect
from bench.payloads import RowFactory
from bench.regions import RegionPlan, plan_regions
from bench.stack import BenchStack, StackAccess
from bench.status_events import StatusPublisher, started_producer


@dataclass
class BenchContext:
    config: BenchConfig
    stack: BenchStack
    access: StackAccess
    regions: RegionPlan
    rows: RowFactory
    db: asyncpg.Connection
    statuses: StatusPublisher
    observations: dict[str, Any] = field(default_factory=dict)
    """Figures one item takes that another reports (memory under the intake load)."""

    def child_env(self) -> dict[str, str]:
        """What the bench's own processes need: where things are, and the gate's keys."""
        return {
            "DATABASE_URL": self.access.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.access.bootstrap_servers,
            "BENCH_API_KEY": self.access.api_key,
            "GATE_API_KEY": self.access.api_key,
            "GATE_DATA_KEY": self.access.data_key,
            "GATE_APPLICANT_KEY_SECRET": self.access.applicant_secret,
        }


@contextlib.asynccontextmanager
async def bench_context(config: BenchConfig, stack: BenchStack) -> AsyncIterator[BenchContext]:
    access = stack.access()
    db = await connect(access.database_url)
    producer = await started_producer(access.bootstrap_servers)
    try:
        yield BenchContext(
            config=config,
            stack=stack,
            access=access,
            regions=plan_regions(config.replay_regions),
            rows=RowFactory(data_key=access.data_key, applicant_secret=access.applicant_secret),
            db=db,
            statuses=StatusPublisher(producer),
        )
    finally:
        await producer.stop()
        await db.close()
