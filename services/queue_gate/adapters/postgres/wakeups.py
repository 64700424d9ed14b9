"""Wake-ups between replicas: a NOTIFY on one channel, sent in the transaction of the change.

The payload is the region code, and `:gate` when the change may open or close its gate (a
status, an operator's control), `:line` when only its line changed (a new or retried
submission).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

WAKE_CHANNEL = "queue_gate_wake"
log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def listening(database_url: str, on_wake: Callable[[str, bool], None]) -> AsyncIterator[None]:
    """Call `on_wake(region_code, gate_changed)` for every wake-up any replica sends, while
    the block runs."""

    def deliver(_connection: object, _pid: int, _channel: str, payload: object) -> None:
        region_code, _, cause = str(payload).partition(":")
        on_wake(region_code, cause != "line")

    connection = await asyncpg.connect(database_url)
    await connection.add_listener(WAKE_CHANNEL, deliver)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.close(), timeout=5)


async def send_wake(connection: Any, region_code: str, *, gate_changed: bool) -> None:
    """NOTIFY inside the caller's transaction: delivered only if it commits."""
    await send_wakes(connection, [region_code], gate_changed=gate_changed)


async def send_wakes(connection: Any, region_codes: list[str], *, gate_changed: bool) -> None:
    """One NOTIFY per region, inside the caller's transaction."""
    cause = "gate" if gate_changed else "line"
    await connection.execute(
        "SELECT count(pg_notify($1, region_code || $2)) FROM unnest($3::text[]) AS region_code",
        WAKE_CHANNEL,
        f":{cause}",
        region_codes,
    )
