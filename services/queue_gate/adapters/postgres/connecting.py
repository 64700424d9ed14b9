"""How the gate opens PostgreSQL connections: every wait bounded, dead peers noticed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

Connect = Callable[[], Awaitable[asyncpg.Connection]]
"""Opens a connection of its own (LISTEN, leases, the outbox relay), bounded like the pool's."""


@dataclass(frozen=True)
class PostgresClient:
    """Where the database is and how long the gate waits for it.

    Without bounds a request waits as long as the kernel keeps a dead socket: the portal
    sees a hang, then a 500. With them, a connection, a query or a wait for a pooled
    connection fails within seconds, and intake answers 503 with `Retry-After`.
    """

    url: str
    connect_timeout_s: float = 5.0
    command_timeout_s: float = 15.0
    acquire_timeout_s: float = 5.0
    keepalives_idle_s: int = 30
    keepalives_interval_s: int = 10
    keepalives_count: int = 3

    def connect_kwargs(self) -> dict[str, Any]:
        return {
            "timeout": self.connect_timeout_s,
            "command_timeout": self.command_timeout_s,
            # The server probes its clients: a gate that vanished without closing its
            # sockets releases its sessions (and their dispatch leases) within a minute.
            "server_settings": {
                "tcp_keepalives_idle": str(self.keepalives_idle_s),
                "tcp_keepalives_interval": str(self.keepalives_interval_s),
                "tcp_keepalives_count": str(self.keepalives_count),
            },
        }

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.url, **self.connect_kwargs())

    def pool(self, *, min_size: int, max_size: int, reset: Any = None) -> BoundedPool:
        """A pool whose `acquire()` (and so `fetch`, `execute`...) waits at most
        `acquire_timeout_s` for a connection; use it with `async with`."""
        return BoundedPool(
            self.url,
            acquire_timeout_s=self.acquire_timeout_s,
            min_size=min_size,
            max_size=max_size,
            reset=reset,
            max_queries=50_000,
            max_inactive_connection_lifetime=300.0,
            connection_class=asyncpg.Connection,
            record_class=asyncpg.Record,
            loop=None,
            **self.connect_kwargs(),
        )


class BoundedPool(asyncpg.Pool):
    """asyncpg's pool, with a default bound on the wait for a connection."""

    def __init__(self, *args: Any, acquire_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout_s = acquire_timeout_s

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self.acquire_timeout_s if timeout is None else timeout)
