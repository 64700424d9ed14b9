"""The gate's composition root: settings in, a running FastAPI app out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.queue_gate.adapters.postgres.dispatch_leases import AdvisoryDispatchLeases
from services.queue_gate.adapters.postgres.migrator import migrate
from services.queue_gate.adapters.postgres.outbox import OutboxRelay, Publish
from services.queue_gate.adapters.postgres.region_control_store import PostgresRegionControlStore
from services.queue_gate.adapters.postgres.region_status_store import (
    PostgresGateAnnouncer,
    PostgresRegionStatusStore,
)
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.adapters.postgres.wakeups import listening
from services.queue_gate.adapters.prometheus_metrics import InstrumentedSiakClient
from services.queue_gate.adapters.sealing import PayloadSealer
from services.queue_gate.adapters.siak_http import HttpSiakClient, siak_session
from services.queue_gate.dispatch_supervisor import DispatchSupervisor
from services.queue_gate.dispatching import DispatchDeps
from services.queue_gate.entrypoints import admin_api, http_api, intake_api, status_page
from services.queue_gate.entrypoints.errors import install_error_handlers
from services.queue_gate.entrypoints.status_consumer import (
    subscribe_to_heartbeats,
    subscribe_to_status,
)
from services.queue_gate.gate_board import GateBoard
from services.queue_gate.handlers.intake import IntakeDeps
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.handlers.status_updates import record_status_change
from services.queue_gate.retention import purge_periodically
from services.queue_gate.runtime import GateRuntime
from services.queue_gate.settings import GateSettings
from shared.clock import utc_now
from shared.events import StatusChanged
from shared.kafka_admin import ensure_topics
from shared.topics import GATE_TOPICS


def create_app(settings: GateSettings, *, clock: Callable[[], datetime] = utc_now) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database_url = settings.database.url
        async with (
            asyncpg.create_pool(
                database_url, min_size=2, max_size=20, reset=_nothing_to_reset
            ) as pool,
            # One request in flight per region dispatched: a kept-alive connection each.
            siak_session(connections=settings.max_active_regions) as siak,
        ):
            if settings.migrate_on_start:
                async with pool.acquire() as connection:
                    await migrate(connection)
            board = GateBoard(
                PostgresRegionStatusStore(pool),
                PostgresRegionControlStore(pool),
                _policy(settings),
                announcer=PostgresGateAnnouncer(pool),
                clock=clock,
            )
            runtime = _assemble(settings, pool, siak, clock, board)
            app.state.runtime = runtime
            broker = await _start_consumers(settings, runtime)
            relay = OutboxRelay(database_url, _publisher(broker))
            supervisor = runtime.supervisor

            def on_wake(region_code: str, gate_changed: bool) -> None:
                board.on_wake(region_code, gate_changed)
                supervisor.wake(region_code, gate_changed)

            async with listening(database_url, on_wake):
                await board.reload()
                background = [
                    asyncio.create_task(board.run(), name="gate board"),
                    asyncio.create_task(supervisor.run(), name="dispatch supervisor"),
                    asyncio.create_task(relay.run(), name="outbox relay"),
                    asyncio.create_task(
                        purge_periodically(
                            runtime.intake.submissions,
                            retention=timedelta(days=settings.retention_days),
                            clock=clock,
                        ),
                        name="retention",
                    ),
                ]
                runtime.ready = True
                try:
                    yield
                finally:
                    runtime.ready = False
                    for task in background:
                        task.cancel()
                    await asyncio.gather(*background, return_exceptions=True)
                    await broker.stop()

    app = FastAPI(
        title="queue_gate",
        summary="Durable intake for Disdukcapil offices, gated by SIAK's status per region",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (intake_api, http_api, admin_api, status_page):
        app.include_router(module.router)
    return app


def _assemble(
    settings: GateSettings,
    pool: asyncpg.Pool,
    siak: aiohttp.ClientSession,
    clock: Callable[[], datetime],
    board: GateBoard,
) -> GateRuntime:
    statuses = board.statuses
    controls = board.controls
    submissions = PostgresSubmissionStore(pool)
    sealer = PayloadSealer.from_base64(settings.data_key.get_secret_value())
    policy = board.policy
    intake = IntakeDeps(
        submissions=submissions,
        statuses=statuses,
        controls=controls,
        gates=board,
        sealer=sealer,
        applicant_secret=settings.applicant_key_secret.get_secret_value().encode(),
        policy=policy,
        backlog_cap=settings.backlog_cap,
        reject_retry_after=settings.reject_retry_after,
    )
    dispatch = DispatchDeps(
        submissions=submissions,
        statuses=statuses,
        controls=controls,
        siak=InstrumentedSiakClient(
            HttpSiakClient(siak, base_url=settings.siak_base_url, timeout_s=settings.siak_timeout_s)
        ),
        sealer=sealer,
        policy=policy,
        pacing=settings.pacing,
        clock=clock,
        announcer=board.announcer,
    )
    supervisor = DispatchSupervisor(
        dispatch,
        AdvisoryDispatchLeases(settings.database.url),
        max_active_regions=settings.max_active_regions,
        may_dispatch=lambda region_code: board.current(region_code, clock()).lets_through,
    )
    return GateRuntime(
        settings=settings, intake=intake, dispatch=dispatch, supervisor=supervisor, clock=clock
    )


async def _nothing_to_reset(_connection: asyncpg.Connection[Any]) -> None:
    """The pool's connections keep no session state (LISTEN and session-level advisory locks
    use connections of their own; nothing runs SET): a connection going back to the pool
    needs no reset query, one round trip saved per use. asyncpg still rolls back a
    transaction left open."""


def _policy(settings: GateSettings) -> GatePolicy:
    return GatePolicy(
        stale_after=settings.stale_after,
        degraded_is_open=settings.degraded_is_open,
        default_intake_mode=settings.default_intake_mode,
    )


def _publisher(broker: KafkaBroker) -> Publish:
    async def publish(
        topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        return await broker.publish(
            value,
            topic=topic,
            key=key,
            headers={k: v.decode() for k, v in headers},
            no_confirm=True,
        )

    return publish


async def _start_consumers(settings: GateSettings, runtime: GateRuntime) -> KafkaBroker:
    await ensure_topics(settings.kafka.bootstrap_servers, GATE_TOPICS)
    broker = KafkaBroker(settings.kafka.bootstrap_servers, enable_idempotence=True)
    statuses = runtime.intake.statuses

    async def apply_change(change: StatusChanged) -> bool:
        return await record_status_change(
            change,
            store=statuses,
            controls=runtime.intake.controls,
            policy=runtime.intake.policy,
            now=runtime.clock(),
        )

    subscribe_to_status(broker, group_id=settings.consumer_group, apply_change=apply_change)
    # A group of its own, so joining one subscriber does not rebalance the other.
    subscribe_to_heartbeats(
        broker, group_id=f"{settings.consumer_group}.heartbeats", store=statuses
    )
    await broker.start()
    return broker
