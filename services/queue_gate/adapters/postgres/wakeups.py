"""Wake-ups between replicas: a NOTIFY on one channel, sent in the transaction of the change.

The payload is the region code, and `:gate` when the change may open or close its gate (a
status, an operator's control), `:line` when only its line changed (a new or retried
submission). A status change's `:gate` is followed by `:<origin>`, naming the process that
applied it: that process handed the change to its own board already.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from services.queue_gate.adapters.postgres.connecting import Connect

WAKE_CHANNEL = "queue_gate_wake"


OnWake = Callable[[str, bool, bool], None]
"""Called with the region code, whether its gate may have changed, and whether the wake-up
tells of a status change this process applied itself."""


def status_wake(region_code: str, origin: str | None) -> str:
    """The payload of the wake-up a status change sends, applied by the process `origin`."""
    return f"{region_code}:gate:{origin}" if origin else f"{region_code}:gate"


class ListenConnectionLostError(ConnectionError):
    """The LISTEN connection is gone; wake-ups sent meanwhile were not heard."""


class PostgresWakeups:
    """Hears every wake-up any replica sends, on a connection of its own."""

    def __init__(
        self, connect: Connect, *, origin: str | None = None, check_interval_s: float = 5.0
    ) -> None:
        self.connect = connect
        self.origin = origin
        """This process, as named in the wake-ups of the status changes it applies."""
        self.check_interval_s = check_interval_s
        """How often an idle connection is asked whether it still answers: a server that
        vanished without closing the socket is noticed within this (plus the command
        timeout)."""

    async def listen(self, on_wake: OnWake, on_connected: Callable[[], Awaitable[None]]) -> None:
        """Call `on_wake(region_code, gate_changed, own_status)` for each wake-up until the
        connection is lost, then raise (the supervisor listens again). `on_connected` runs once
        each new connection listens: what was sent while nobody listened is made up for there."""

        def deliver(_connection: object, _pid: int, _channel: str, payload: object) -> None:
            region_code, _, cause = str(payload).partition(":")
            cause, _, origin = cause.partition(":")
            on_wake(region_code, cause != "line", bool(origin) and origin == self.origin)

        lost = asyncio.Event()
        connection = await self.connect()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(WAKE_CHANNEL, deliver)
            await on_connected()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.check_interval_s):
                        await lost.wait()
                if not lost.is_set():
                    await connection.fetchval("SELECT 1")
            raise ListenConnectionLostError("the LISTEN connection was closed")
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=5)


async def send_wake(connection: Any, region_code: str, *, gate_changed: bool) -> None:
    """NOTIFY inside the caller's transaction: delivered only if it commits."""
    await connection.execute(
        "SELECT pg_notify($1, $2)",
        WAKE_CHANNEL,
        region_code + wake_cause(gate_changed=gate_changed),
    )


def wake_cause(*, gate_changed: bool) -> str:
    """What follows the region code in a wake-up's payload."""
    return ":gate" if gate_changed else ":line"
