"""The gate's composition root: settings in, a running FastAPI app out."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.queue_gate.adapters.postgres.migrator import migrate
from services.queue_gate.adapters.postgres.region_status_store import PostgresRegionStatusStore
from services.queue_gate.entrypoints.http_api import install_routes
from services.queue_gate.entrypoints.status_consumer import subscribe_to_status
from services.queue_gate.settings import GateSettings
from shared.kafka_admin import ensure_topics
from shared.topics import GATE_TOPICS


def create_app(settings: GateSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with asyncpg.create_pool(settings.database.url, min_size=1, max_size=10) as pool:
            if settings.migrate_on_start:
                async with pool.acquire() as connection:
                    await migrate(connection)
            store = PostgresRegionStatusStore(pool)
            app.state.region_status_store = store
            await ensure_topics(settings.kafka.bootstrap_servers, GATE_TOPICS)
            broker = KafkaBroker(settings.kafka.bootstrap_servers, enable_idempotence=True)
            subscribe_to_status(broker, group_id=settings.consumer_group, store=store)
            await broker.start()
            app.state.ready = True
            try:
                yield
            finally:
                app.state.ready = False
                await broker.stop()

    app = FastAPI(
        title="queue_gate", summary="Durable intake gated by SIAK's status", lifespan=lifespan
    )
    install_routes(app)
    return app
