"""The gate's Kafka client, started under supervision: intake never waits for Kafka."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaBroker


class KafkaLink:
    """Starts the broker (its subscribers and producer) and keeps it until cancelled.

    A start that fails (Kafka down) raises, and the supervisor tries again with back-off;
    meanwhile intake works (it needs only PostgreSQL) and gate events wait in the outbox.
    Once started, aiokafka reconnects by itself.
    """

    def __init__(self, broker: KafkaBroker, *, prepare: Callable[[], Awaitable[None]]) -> None:
        self.broker = broker
        self._prepare = prepare
        self._started = asyncio.Event()

    @property
    def started(self) -> bool:
        return self._started.is_set()

    async def run(self) -> None:
        try:
            await self._prepare()
            await self.broker.start()
            self._started.set()
            await asyncio.Event().wait()
        finally:
            self._started.clear()
            with contextlib.suppress(Exception):
                await self.broker.stop()

    async def wait_started(self) -> None:
        await self._started.wait()

    async def publish(
        self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        """Hands a record to the producer once the broker is started (see `Publish`)."""
        await self._started.wait()
        return await self.broker.publish(
            value,
            topic=topic,
            key=key,
            headers={k: v.decode() for k, v in headers},
            no_confirm=True,
        )

    async def reachable(self, *, timeout_s: float) -> bool:
        return self.started and await self.broker.ping(timeout=timeout_s)
