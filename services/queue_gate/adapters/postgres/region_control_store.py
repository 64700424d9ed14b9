"""Operators' controls per region, each change audited with who and why."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

import asyncpg

from services.queue_gate.adapters.postgres.wakeups import send_wake
from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl

# The row exists (with the defaults) before it is locked, so two first changes of a region
# also wait for each other instead of both starting from the defaults.
_ENSURE = "INSERT INTO region_control (region_code) VALUES ($1) ON CONFLICT DO NOTHING"

_WRITE = """
UPDATE region_control
   SET override = $2, intake_mode = $3, replay_paused = $4, max_rate = $5, reason = $6,
       changed_by = $7, changed_at = now()
 WHERE region_code = $1
"""

_SELECT = """
SELECT region_code, override, intake_mode, replay_paused, max_rate, reason, changed_by,
       changed_at
  FROM region_control"""


class PostgresRegionControlStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, region_code: str) -> RegionControl:
        row = await self.pool.fetchrow(f"{_SELECT} WHERE region_code = $1", region_code)
        return RegionControl() if row is None else _to_control(row)

    async def all(self, region_codes: list[str] | None = None) -> dict[str, RegionControl]:
        rows = await self.pool.fetch(
            f"{_SELECT} WHERE $1::text[] IS NULL OR region_code = ANY($1::text[])", region_codes
        )
        return {row["region_code"]: _to_control(row) for row in rows}

    async def change(
        self, region_code: str, given: Mapping[str, Any], *, reason: str, actor: str
    ) -> None:
        # The row is locked from read to write: a concurrent change of another field waits
        # and then starts from this one's result, instead of writing back what it read.
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(_ENSURE, region_code)
            row = await connection.fetchrow(
                f"{_SELECT} WHERE region_code = $1 FOR UPDATE", region_code
            )
            assert row is not None  # ensured just above, in this transaction
            control = replace(_to_control(row), **given, reason=reason)
            await connection.execute(
                _WRITE,
                region_code,
                control.override.value,
                control.intake_mode.value if control.intake_mode else None,
                control.replay_paused,
                control.max_rate,
                control.reason,
                actor,
            )
            change = {k: v for k, v in asdict(control).items() if k not in ("changed_at",)}
            await connection.execute(
                "INSERT INTO region_control_audit (region_code, change, reason, changed_by) "
                "VALUES ($1, $2::jsonb, $3, $4)",
                region_code,
                json.dumps(change, default=str),
                control.reason,
                actor,
            )
            await send_wake(connection, region_code, gate_changed=True)


def _to_control(row: asyncpg.Record) -> RegionControl:
    return RegionControl(
        override=Override(row["override"]),
        intake_mode=IntakeMode(row["intake_mode"]) if row["intake_mode"] else None,
        replay_paused=row["replay_paused"],
        max_rate=row["max_rate"],
        reason=row["reason"],
        changed_by=row["changed_by"],
        changed_at=row["changed_at"],
    )
