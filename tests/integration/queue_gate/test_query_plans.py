"""The hot queries of intake and dispatch find their rows through an index, however many rows
wait in other regions: none reads the whole submission table (the backlog of a national
outage), whether PostgreSQL plans it for its parameters or once for all (a prepared statement)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from services.queue_gate.adapters.postgres import submission_store as store
from tests.integration.queue_gate.conftest import take_regions

pytestmark = pytest.mark.integration

BACKLOG = 60_000
"""Rows deferred elsewhere: enough that reading them all costs more than any index."""
LINE = 300
_DEFERRED = """
INSERT INTO submission (ticket_id, region_code, service_type, applicant_key, idempotency_key,
                        body_fingerprint, sealed_payload, state)
SELECT 'tkt_' || $3 || n, ($2::text[])[1 + n % cardinality($2::text[])], 'akta_kelahiran',
       'applicant-' || n, $3 || n, 'body', decode(repeat('ab', 300), 'hex'), 'deferred'
  FROM generate_series(1, $1) AS n
"""
ELSEWHERE = [f"{province}.{city:02d}" for province in range(11, 31) for city in range(1, 18)]
"""Well-formed codes of other provinces than the tests' own (the database is the test's alone)."""


def plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


async def seq_scans_of_submission(
    connection: asyncpg.Connection, sql: str, args: tuple[object, ...], *, generic: bool
) -> list[str]:
    """The plan's nodes that read the submission table from end to end."""
    mode = "force_generic_plan" if generic else "force_custom_plan"
    async with connection.transaction():
        await connection.execute(f"SET LOCAL plan_cache_mode = {mode}")
        [plan] = json.loads(await connection.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args))
    return [
        node["Node Type"]
        for node in plan_nodes(plan["Plan"])
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "submission"
    ]


async def test_no_hot_query_reads_the_backlog_of_other_regions(database_url: str) -> None:
    [region] = take_regions(1)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(_DEFERRED, BACKLOG, ELSEWHERE, "bg_")
        await connection.execute(_DEFERRED, LINE, [region], "line_")
        await connection.execute("VACUUM ANALYZE submission")
        stretch = [f"tkt_line_{n}" for n in range(1, 101)]
        hot: dict[str, tuple[str, tuple[object, ...]]] = {
            "next stretch": (store._LINE, (region, 100)),
            "mark dispatching": (store._MARK_DISPATCHING, (stretch,)),
            "mark delivered": (store._MARK_DELIVERED, (stretch, [None] * 100)),
            "release": (store._RELEASE, (stretch,)),
            "defer queued": (store._DEFER_QUEUED, (region,)),
            "place in line": (store._AHEAD, (region, 2**62)),
            "lines and held applicants": (store._LINES_AND_HELD, ([region], ["applicant-1"])),
        }
        found = {
            f"{name} ({'generic' if generic else 'custom'})": await seq_scans_of_submission(
                connection, sql, args, generic=generic
            )
            for name, (sql, args) in hot.items()
            for generic in (False, True)
        }
    finally:
        await connection.close()
    assert {name: scans for name, scans in found.items() if scans} == {}
