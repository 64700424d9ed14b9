"""The gate's Kafka client, started under supervision: intake never waits for Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.kafka import KafkaBroker

from shared.topics import TopicMisconfiguredError

log = logging.getLogger(__name__)


class KafkaLink:
    """Starts the broker (its subscribers and producer) and keeps it until cancelled.

    A start that fails (Kafka down) raises, and the supervisor tries again with back-off;
    meanwhile intake works (it needs only PostgreSQL) and gate events wait in the outbox.
    Once started, aiokafka reconnects by itself. A topic that exists with a cleanup policy
    unfit for it is no outage: `misconfiguration` says which until it is put right.
    """

    def __init__(self, broker: KafkaBroker, *, prepare: Callable[[], Awaitable[None]]) -> None:
        self.broker = broker
        self._prepare = prepare
        self._started = asyncio.Event()
        self.misconfiguration: str | None = None

    @property
    def started(self) -> bool:
        return self._started.is_set()

    async def run(self) -> None:
        try:
            try:
                await self._prepare()
            except TopicMisconfiguredError as error:
                self.misconfiguration = str(error)
                log.error("not consuming nor publishing until put right: %s", error)
                raise
            self.misconfiguration = None
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
