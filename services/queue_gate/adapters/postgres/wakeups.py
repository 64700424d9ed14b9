"""Wake-ups between replicas: a NOTIFY on one channel, the region code as payload."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import asyncpg

WAKE_CHANNEL = "queue_gate_wake"
log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def listening(database_url: str, on_wake: Callable[[str], None]) -> AsyncIterator[None]:
    """Call `on_wake(region_code)` for every wake-up any replica sends, while the block runs."""

    def deliver(_connection: object, _pid: int, _channel: str, payload: object) -> None:
        on_wake(str(payload))

    connection = await asyncpg.connect(database_url)
    await connection.add_listener(WAKE_CHANNEL, deliver)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.close(), timeout=5)
