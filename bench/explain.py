"""`python -m bench.explain [ROWS]`: the plans of intake's and dispatch's hot queries, with ROWS
(default 1,000,000) deferred rows in closed regions beside a replayed batch, on a PostgreSQL
server of its own; `EXPLAIN (ANALYZE, BUFFERS)` in rolled-back transactions, as markdown."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import shutil
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import asyncpg

from bench import database
from bench.config import STATE_DIR
from bench.payloads import RowFactory
from bench.regions import plan_regions
from bench.stack import free_port
from deploy.local.component import Paths
from deploy.local.postgres_server import PostgresServer
from services.queue_gate.adapters.postgres import submission_store as store
from services.queue_gate.adapters.postgres.migrator import migrate
from services.queue_gate.adapters.postgres.wakeups import WAKE_CHANNEL, wake_cause
from shared import topics

BATCH = 5_000
REPLAY_REGIONS = 50
INTAKE_BATCH = 64
_LONG_LIST = re.compile(r"'\{[^}]{40,}\}'")
"""An array of tickets or regions given to a query: shortened in the plan."""


@dataclass(frozen=True)
class HotQuery:
    name: str
    sql: str
    args: tuple[object, ...]
    prepare: str = ""
    """Run first in the same transaction (rows in the state the query expects)."""


@contextlib.asynccontextmanager
async def own_server() -> AsyncIterator[str]:
    state_dir = STATE_DIR.parent / "bench-explain"
    shutil.rmtree(state_dir, ignore_errors=True)
    state_dir.mkdir(parents=True)
    server = PostgresServer(Paths(state_dir), port=free_port(), database="siak_gate")
    try:
        await asyncio.to_thread(server.ensure_running)
        yield server.url
    finally:
        await asyncio.to_thread(server.stop)
        shutil.rmtree(state_dir, ignore_errors=True)


async def seeded(connection: asyncpg.Connection, background: int) -> dict[str, list[str]]:
    """`background` deferred rows in the regions that stay closed, then the replayed batch;
    vacuumed and analysed, as autovacuum leaves a backlog that built up over an outage."""
    regions = plan_regions(REPLAY_REGIONS)
    rows = RowFactory(
        data_key=base64.b64encode(os.urandom(32)).decode(),
        applicant_secret=base64.b64encode(os.urandom(32)).decode(),
    )
    await database.empty_submissions(connection)
    await database.seed_deferred(
        connection, rows, regions.background, background, key_prefix="bg", keep_order=False
    )
    order = await database.seed_deferred(connection, rows, regions.replay, BATCH, key_prefix="b")
    await connection.execute("VACUUM ANALYZE submission")
    return order


def hot_queries(order: dict[str, list[str]], intake_regions: Sequence[str]) -> list[HotQuery]:
    region, tickets = next(iter(order.items()))
    stretch = tickets[:100]
    new = [f"tkt_explain_{n}" for n in range(INTAKE_BATCH)]
    regions = [intake_regions[n % len(intake_regions)] for n in range(INTAKE_BATCH)]
    insert_args: tuple[object, ...] = (
        new,
        regions,
        ["akta_kelahiran"] * INTAKE_BATCH,
        ["applicant"] * INTAKE_BATCH,
        [f"idem-explain-{n}" for n in range(INTAKE_BATCH)],
        ["fingerprint"] * INTAKE_BATCH,
        [b"x" * 315] * INTAKE_BATCH,
        ["deferred"] * INTAKE_BATCH,
        [None] * INTAKE_BATCH,
        ["default"] * INTAKE_BATCH,
        topics.GATE_EVENTS,
        [region.encode() for region in regions],
        [b"x" * 400] * INTAKE_BATCH,
        WAKE_CHANNEL,
        wake_cause(gate_changed=False),
    )
    mark = "UPDATE submission SET state = 'dispatching' WHERE ticket_id = ANY($1::text[])"
    return [
        HotQuery(
            "intake: insert a batch of 64, its events and wake-ups", store._ADMIT, insert_args
        ),
        HotQuery(
            "intake: the lines and held applicants of the batch's regions",
            store._LINES_AND_HELD,
            (sorted(set(regions)), ["applicant"]),
        ),
        HotQuery("dispatch: next stretch of the line", store._LINE, (region, 100)),
        HotQuery("dispatch: mark dispatching", store._MARK_DISPATCHING, (stretch,)),
        HotQuery(
            "dispatch: mark delivered",
            store._MARK_DELIVERED,
            (stretch, [None] * len(stretch)),
            prepare=mark.replace("$1::text[]", _array(stretch)),
        ),
        HotQuery(
            "dispatch: release the rest",
            store._RELEASE,
            (stretch,),
            prepare=mark.replace("$1::text[]", _array(stretch)),
        ),
        HotQuery(
            "dispatch: defer what is queued (a closed region)",
            store._DEFER_QUEUED,
            (region,),
        ),
        HotQuery("ticket: place in line", store._AHEAD, (region, 2**62)),
    ]


def _array(values: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{value}'" for value in values) + "]"


async def explain(connection: asyncpg.Connection, query: HotQuery, *, generic: bool) -> str:
    """The plan the gate's prepared statement gets: custom (first runs) or generic (later)."""
    mode = "force_generic_plan" if generic else "force_custom_plan"
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute(f"SET LOCAL plan_cache_mode = {mode}")
        if query.prepare:
            await connection.execute(query.prepare)
        rows = await connection.fetch(
            f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) {query.sql}", *query.args
        )
    finally:
        await transaction.rollback()
    return "\n".join(_LONG_LIST.sub("'{...}'", row[0]) for row in rows)


async def report(background: int) -> str:
    async with own_server() as url:
        connection = await database.connect(url)
        try:
            await migrate(connection)
            started = time.perf_counter()
            order = await seeded(connection, background)
            seeded_s = time.perf_counter() - started
            lines = [
                f"# Hot queries with {background:,} deferred rows elsewhere",
                "",
                f"{BATCH:,} deferred rows over {REPLAY_REGIONS} replayed regions; seeded, "
                f"vacuumed and analysed in {seeded_s:.0f} s. PostgreSQL "
                f"{await database.server_version(connection)}, default settings.",
            ]
            intake_regions = plan_regions(REPLAY_REGIONS).intake
            for query in hot_queries(order, intake_regions):
                for generic in (False, True):
                    plan = await explain(connection, query, generic=generic)
                    kind = "generic plan" if generic else "custom plan"
                    lines += ["", f"## {query.name} ({kind})", "", "```", plan, "```"]
            return "\n".join(lines) + "\n"
        finally:
            await connection.close()


def main(argv: list[str]) -> None:
    background = int(argv[0]) if argv else 1_000_000
    sys.stdout.write(asyncio.run(report(background)))


if __name__ == "__main__":
    main(sys.argv[1:])
