"""The gate's composition root: adapters in, a running gate (and its FastAPI app) out.

`create_app` connects the real adapters (`connected_adapters`) in its lifespan; unit tests
hand it fakes instead, so the routes, the Kafka subscribers and the supervision of every
background task are exercised without PostgreSQL or Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import asyncpg
import httpx
from fastapi import FastAPI

from services.queue_gate.adapters.kafka_link import KafkaLink, Link
from services.queue_gate.adapters.monitor_maintenance import HttpMaintenanceCalendar
from services.queue_gate.adapters.offset_commits import Durable
from services.queue_gate.adapters.postgres.backlog_counts import PostgresBacklogCounts
from services.queue_gate.adapters.postgres.client_key_store import PostgresClientKeyStore
from services.queue_gate.adapters.postgres.connecting import PostgresClient
from services.queue_gate.adapters.postgres.dispatch_leases import AdvisoryDispatchLeases
from services.queue_gate.adapters.postgres.kept_personal_data import PostgresKeptPersonalData
from services.queue_gate.adapters.postgres.migrator import migrate
from services.queue_gate.adapters.postgres.misconfiguration_flags import (
    PostgresMisconfigurationFlags,
)
from services.queue_gate.adapters.postgres.operator_store import (
    PostgresActionAudit,
    PostgresConsoleSessions,
    PostgresOperatorAccounts,
)
from services.queue_gate.adapters.postgres.outbox import OutboxRelay, outbox_depth
from services.queue_gate.adapters.postgres.region_control_store import PostgresRegionControlStore
from services.queue_gate.adapters.postgres.region_status_store import (
    PostgresGateAnnouncer,
    PostgresRegionStatusStore,
)
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.adapters.postgres.wakeups import OnWake, PostgresWakeups
from services.queue_gate.adapters.postgres.wal_flush import WalFlushBarrier
from services.queue_gate.adapters.prometheus_metrics import (
    TASK_RESTARTS,
    InstrumentedSiakClient,
)
from services.queue_gate.adapters.sealing import DataKeyring
from services.queue_gate.adapters.siak_http import HttpSiakClient, siak_session
from services.queue_gate.backlog_reconciliation import BacklogCounts, reconcile_periodically
from services.queue_gate.client_keyring import ClientKeyring
from services.queue_gate.dispatch_supervisor import DispatchSupervisor
from services.queue_gate.dispatching import DispatchDeps
from services.queue_gate.domain.token_bucket import Steady
from services.queue_gate.entrypoints import (
    admin_api,
    client_keys_api,
    http_api,
    intake_api,
    status_page,
)
from services.queue_gate.entrypoints.console import refusals as console_refusals
from services.queue_gate.entrypoints.console import routes as console_routes
from services.queue_gate.entrypoints.dependencies import body_cap, credentials_before_body
from services.queue_gate.entrypoints.errors import error_for_status, install_error_handlers
from services.queue_gate.entrypoints.serving import TELEMETRY_OFF
from services.queue_gate.entrypoints.status_consumer import (
    CatchUpRetries,
    subscribe_to_heartbeats,
    subscribe_to_status,
)
from services.queue_gate.gate_board import GateBoard
from services.queue_gate.handlers.intake import IntakeDeps
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.handlers.status_updates import Took, record_status_change
from services.queue_gate.operators.console import ConsoleStores, console_deps
from services.queue_gate.ports import (
    ClientKeyStore,
    DispatchLeases,
    GateAnnouncer,
    MisconfigurationFlags,
    RegionControlStore,
    RegionStatusStore,
    Sealer,
    SiakClient,
    SubmissionStore,
)
from services.queue_gate.retention import KeptPersonalData, purge_periodically
from services.queue_gate.runtime import GateRuntime
from services.queue_gate.settings import GateSettings
from services.queue_gate.status_catch_up import StatusCatchUp
from shared.clock import utc_now
from shared.events import StatusChanged
from shared.http_limits import BodyLimit
from shared.kafka_admin import ensure_topics
from shared.supervision import Backoff, Supervisor
from shared.topics import GATE_TOPICS


class Relay(Protocol):
    async def run(self) -> None:
        """Publish the outbox until cancelled; raise on any failure (it is run again)."""


class Wakeups(Protocol):
    async def listen(self, on_wake: OnWake, on_connected: Callable[[], Awaitable[None]]) -> None:
        """Deliver every replica's wake-ups; raise once they can no longer be heard."""


@dataclass(frozen=True)
class GateAdapters:
    """Everything outside the gate's own code that it talks to."""

    submissions: SubmissionStore
    statuses: RegionStatusStore
    controls: RegionControlStore
    client_keys: ClientKeyStore
    announcer: GateAnnouncer
    sealer: Sealer
    siak: SiakClient
    misconfigurations: MisconfigurationFlags
    """Regions whose replay SIAK's "misconfigured" answers hold, for every replica."""
    leases: DispatchLeases
    kafka: Link
    status_catch_up: StatusCatchUp
    """Fed by the status consumer's assignments; holds this replica's dispatch meanwhile."""
    relay: Relay
    wakeups: Wakeups
    backlog_counts: BacklogCounts
    kept_personal_data: KeptPersonalData
    """How long the oldest finished submission has kept its personal data (retention gauge)."""
    outbox_depth: Callable[[], Awaitable[int]]
    """How many gate events wait for Kafka, counted afresh."""
    database_reachable: Callable[[], Awaitable[bool]]
    database_clock_gap: Callable[[], timedelta | None]
    """How far this host's clock stood ahead of the database's at the latest read."""
    status_changes_flushed: Durable
    """True once every status change committed before the call is durable (they commit
    without waiting for it): the status consumer's offsets wait for it."""
    console: ConsoleStores


ConnectAdapters = Callable[[GateSettings], contextlib.AbstractAsyncContextManager[GateAdapters]]


def create_app(
    settings: GateSettings,
    *,
    adapters: ConnectAdapters | None = None,
    clock: Callable[[], datetime] = utc_now,
    steady: Steady = time.monotonic,
) -> FastAPI:
    """The gate on `adapters`; `steady`, a clock that never steps, paces the replay and each
    client's rate (a wall clock stepped forward would refill them at once)."""
    connect = adapters or connected_adapters

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with connect(settings) as connected:
            runtime = build_gate(settings, adapters=connected, clock=clock, steady=steady)
            app.state.runtime = runtime
            await runtime.gates.reload()
            await runtime.client_keys.refresh()
            runtime.start_background()
            # A healthy stack starts as before, its consumers subscribed before traffic
            # comes; with Kafka down the gate starts anyway after this grace.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(connected.kafka.wait_started(), settings.kafka_start_grace_s)
            runtime.ready = True
            try:
                yield
            finally:
                runtime.ready = False
                await runtime.tasks.stop()

    app = FastAPI(
        title="queue_gate",
        summary="Durable intake for Disdukcapil offices, gated by SIAK's status per region",
        lifespan=lifespan,
        telemetry=TELEMETRY_OFF,
    )
    install_error_handlers(app)
    app.add_middleware(
        BodyLimit,
        max_bytes=body_cap,
        admit=credentials_before_body(
            settings, lambda: getattr(getattr(app.state, "runtime", None), "client_keys", None)
        ),
        refusal=error_for_status,
    )
    intake_api.install(app)  # first, and on the app's own list
    for module in (http_api, admin_api, client_keys_api, status_page, console_routes):
        app.include_router(module.router)
    console_refusals.install(app)
    return app


def build_gate(
    settings: GateSettings,
    *,
    adapters: GateAdapters,
    clock: Callable[[], datetime] = utc_now,
    steady: Steady = time.monotonic,
) -> GateRuntime:
    """The gate wired to `adapters`: its handlers, Kafka subscribers and background tasks
    (started by `GateRuntime.start_background`)."""
    policy = GatePolicy(
        stale_after=settings.stale_after,
        degraded_is_open=settings.degraded_is_open,
        default_intake_mode=settings.default_intake_mode,
    )
    board = GateBoard(
        adapters.statuses, adapters.controls, policy, announcer=adapters.announcer, clock=clock
    )
    intake = IntakeDeps(
        submissions=adapters.submissions,
        statuses=adapters.statuses,
        controls=adapters.controls,
        gates=board,
        sealer=adapters.sealer,
        applicant_secret=settings.applicant_key_secret.get_secret_value().encode(),
        policy=policy,
        backlog_cap=settings.backlog_cap,
        reject_retry_after=settings.reject_retry_after,
    )
    dispatch = DispatchDeps(
        submissions=adapters.submissions,
        statuses=adapters.statuses,
        controls=adapters.controls,
        siak=adapters.siak,
        sealer=adapters.sealer,
        policy=policy,
        pacing=settings.pacing,
        clock=clock,
        misconfigurations=adapters.misconfigurations,
        steady=steady,
        announcer=board.announcer,
        status_caught_up=lambda: adapters.status_catch_up.caught_up,
    )
    dispatcher = DispatchSupervisor(
        dispatch,
        adapters.leases,
        max_active_regions=settings.max_active_regions,
        sweep_interval=timedelta(seconds=settings.sweep_interval_s),
        may_dispatch=lambda region_code: board.current(region_code, clock()).lets_through,
    )
    adapters.status_catch_up.on_caught_up(dispatcher.resume)
    catch_up_retries = CatchUpRetries(adapters.status_catch_up)
    _subscribe(
        settings,
        adapters.kafka,
        intake,
        catch_up_retries,
        clock,
        took=board.took,
        announcer=adapters.announcer,
        durable=adapters.status_changes_flushed,
    )

    def on_wake(region_code: str, gate_changed: bool, own_status: bool) -> None:
        board.on_wake(region_code, gate_changed, own_status)
        dispatcher.wake(region_code, gate_changed)

    async def catch_up() -> None:
        # Wake-ups sent while nobody listened are lost: read every gate, nudge every line.
        await board.reload()
        await dispatcher.catch_up()

    async def run_kafka() -> None:
        try:
            await adapters.kafka.run()
        finally:
            # A stopped consumer reads nothing: its next assignment starts a new catch-up.
            catch_up_retries.revoked()

    keyring = ClientKeyring(
        adapters.client_keys,
        local_key=settings.api_key.get_secret_value() if settings.api_key else None,
        clock=clock,
        steady=steady,
        refresh_every=timedelta(seconds=settings.client_key_refresh_s),
    )

    async def kafka_reachable() -> bool:
        return await adapters.kafka.reachable(timeout_s=1.0)

    return GateRuntime(
        settings=settings,
        intake=intake,
        dispatch=dispatch,
        supervisor=dispatcher,
        clock=clock,
        client_keys=keyring,
        console=console_deps(settings, adapters.console, clock),
        background={
            "kafka": run_kafka,
            "status catch-up": catch_up_retries.run,
            "outbox relay": adapters.relay.run,
            "wakeups": functools.partial(adapters.wakeups.listen, on_wake, catch_up),
            "gate board": board.run,
            "client keys": keyring.run,
            "dispatch supervisor": dispatcher.run,
            "backlog reconciliation": functools.partial(
                reconcile_periodically,
                adapters.backlog_counts,
                every=timedelta(seconds=settings.backlog_reconcile_interval_s),
            ),
            "retention": functools.partial(
                purge_periodically,
                adapters.submissions,
                adapters.kept_personal_data,
                retention=timedelta(days=settings.retention_days),
                clock=clock,
            ),
        },
        tasks=Supervisor(
            backoff=Backoff(max_s=settings.task_backoff_max_s),
            unhealthy_after_s=settings.task_unhealthy_after_s,
            on_failure=lambda name: TASK_RESTARTS.labels(name).inc(),
        ),
        database_reachable=adapters.database_reachable,
        database_clock_gap=adapters.database_clock_gap,
        outbox_depth=adapters.outbox_depth,
        kafka_reachable=kafka_reachable,
        status_catch_up=adapters.status_catch_up.report,
        topic_misconfiguration=lambda: adapters.kafka.misconfiguration,
    )


def _subscribe(
    settings: GateSettings,
    link: Link,
    intake: IntakeDeps,
    catch_up_retries: CatchUpRetries,
    clock: Callable[[], datetime],
    *,
    took: Took,
    announcer: GateAnnouncer,
    durable: Durable,
) -> None:
    async def apply_change(change: StatusChanged) -> bool:
        return await record_status_change(
            change,
            store=intake.statuses,
            announcer=announcer,
            policy=intake.policy,
            now=clock(),
            took=took,
        )

    subscribe_to_status(
        link,
        group_id=settings.consumer_group,
        apply_change=apply_change,
        retries=catch_up_retries,
        durable=durable,
    )
    # A group of its own, so joining one subscriber does not rebalance the other.
    subscribe_to_heartbeats(
        link, group_id=f"{settings.consumer_group}.heartbeats", store=intake.statuses
    )


@contextlib.asynccontextmanager
async def connected_adapters(settings: GateSettings) -> AsyncIterator[GateAdapters]:
    """The real adapters: PostgreSQL (migrated first, if so set), SIAK over HTTP, Kafka."""
    postgres = _postgres_client(settings)
    # Names this process in the wake-ups of the status changes it applies (wakeups.py).
    origin = uuid.uuid4().hex[:12]
    async with (
        postgres.pool(min_size=2, max_size=20, reset=_nothing_to_reset) as pool,
        # One request in flight per region dispatched: a kept-alive connection each.
        siak_session(connections=settings.max_active_regions) as siak,
        httpx.AsyncClient(
            base_url=settings.monitor_url, timeout=settings.monitor_timeout_s
        ) as monitor,
    ):
        if settings.migrate_on_start:
            async with pool.acquire() as connection:
                await migrate(connection)
        kafka = KafkaLink(
            settings.kafka,
            # One attempt: the supervisor retries, with back-off, and reports the failure.
            prepare=functools.partial(ensure_topics, settings.kafka, GATE_TOPICS, attempts=1),
            session_timeout_ms=round(settings.kafka_session_timeout_s * 1000),
        )

        async def database_reachable() -> bool:
            return bool(await asyncio.wait_for(pool.fetchval("SELECT 1"), timeout=2.0))

        statuses = PostgresRegionStatusStore(pool, origin=origin)
        yield GateAdapters(
            submissions=PostgresSubmissionStore(pool, max_waiting=settings.intake_queue_max),
            statuses=statuses,
            controls=PostgresRegionControlStore(pool),
            client_keys=PostgresClientKeyStore(pool),
            announcer=PostgresGateAnnouncer(pool),
            sealer=DataKeyring.from_settings(settings),
            siak=InstrumentedSiakClient(
                HttpSiakClient(
                    siak, base_url=settings.siak_base_url, timeout_s=settings.siak_timeout_s
                )
            ),
            misconfigurations=PostgresMisconfigurationFlags(pool),
            leases=AdvisoryDispatchLeases(postgres.connect),
            kafka=kafka,
            status_catch_up=StatusCatchUp(),
            relay=OutboxRelay(postgres.connect, kafka.publish, kafka_ready=kafka.wait_started),
            wakeups=PostgresWakeups(postgres.connect, origin=origin),
            backlog_counts=PostgresBacklogCounts(pool),
            kept_personal_data=PostgresKeptPersonalData(pool),
            outbox_depth=functools.partial(outbox_depth, pool),
            database_reachable=database_reachable,
            database_clock_gap=lambda: statuses.clock_gap,
            status_changes_flushed=WalFlushBarrier(pool).flushed,
            console=ConsoleStores(
                accounts=PostgresOperatorAccounts(pool),
                sessions=PostgresConsoleSessions(pool),
                audit=PostgresActionAudit(pool),
                maintenance=HttpMaintenanceCalendar(
                    monitor,
                    admin_token=settings.monitor_admin_token.get_secret_value()
                    if settings.monitor_admin_token
                    else None,
                ),
            ),
        )


def _postgres_client(settings: GateSettings) -> PostgresClient:
    return PostgresClient(
        settings.database.url,
        connect_timeout_s=settings.db_connect_timeout_s,
        command_timeout_s=settings.db_command_timeout_s,
        acquire_timeout_s=settings.db_acquire_timeout_s,
        keepalives_idle_s=settings.db_keepalives_idle_s,
        keepalives_interval_s=settings.db_keepalives_interval_s,
        keepalives_count=settings.db_keepalives_count,
    )


async def _nothing_to_reset(_connection: asyncpg.Connection[Any]) -> None:
    """The pool's connections keep no session state (LISTEN, dispatch leases and the outbox
    relay's lock use connections of their own; other advisory locks, the migration's too, are
    a transaction's; nothing runs SET): a connection going back to the pool needs no reset
    query, one round trip saved per use. asyncpg still rolls back a transaction left open,
    and with it its locks."""
