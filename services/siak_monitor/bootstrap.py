"""The monitor's composition root: settings in, a running FastAPI app out."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from services.siak_monitor.adapters.http1 import Http1Client
from services.siak_monitor.adapters.http_prober import HttpProber
from services.siak_monitor.adapters.kafka_ownership import KafkaOwnership
from services.siak_monitor.adapters.kafka_published_log import KafkaPublishedLog
from services.siak_monitor.adapters.kafka_publisher import KafkaEventPublisher
from services.siak_monitor.adapters.stepped_clock import SteppedClock
from services.siak_monitor.domain.health import RegionHealth
from services.siak_monitor.domain.maintenance_calendar import MaintenanceCalendar
from services.siak_monitor.domain.parent_status import ParentStatus
from services.siak_monitor.domain.region_status import RegionStatus
from services.siak_monitor.domain.status_board import StatusBoard
from services.siak_monitor.domain.watched_regions import WatchedRegions
from services.siak_monitor.entrypoints import http_api, maintenance_api, metrics
from services.siak_monitor.entrypoints.dependencies import admin_before_body
from services.siak_monitor.entrypoints.metrics import PrometheusMetrics
from services.siak_monitor.maintenance_service import MaintenanceService
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.ports import EventPublisher, MonitorMetrics, Prober
from services.siak_monitor.replica import Replica, Term
from services.siak_monitor.running import task_kind
from services.siak_monitor.settings import MonitorSettings
from shared.clock import utc_now
from shared.http_limits import DEFAULT_MAX_BODY_BYTES, BodyLimit
from shared.supervision import Backoff, Supervisor

log = logging.getLogger(__name__)
Lifespan = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]


def create_app(settings: MonitorSettings) -> FastAPI:
    """The monitor as a web app; Kafka need not be reachable for it to start. It probes and
    publishes only while the replicas' group gives it the shard (docs/decisions/0015)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics_ = PrometheusMetrics(CollectorRegistry())
        supervisor = supervisor_for(settings, metrics_)
        clock = clock_for(settings)
        async with _probe_client(settings) as http:

            def new_term() -> Term:
                publisher = KafkaEventPublisher(
                    settings.kafka,
                    transactional_id=settings.shard_transactional_id(),
                    request_timeout_ms=settings.publish_request_timeout_ms,
                    transaction_timeout_ms=3 * settings.publish_request_timeout_ms,
                )
                monitor = build_monitor(
                    settings,
                    prober=HttpProber(http, clock=clock),
                    publisher=publisher,
                    metrics=metrics_,
                    clock=clock,
                )
                maintenance = MaintenanceService(monitor, file_plans=settings.maintenance)
                return Term(monitor, maintenance, publisher, supervisor_for(settings, metrics_))

            # What the routes show while no term runs: every region unknown, nothing owed.
            idle = new_term()
            idle.maintenance.stand_by()

            def show(term: Term | None) -> None:
                shown = term or idle
                metrics_.watch(shown.monitor)
                app.state.monitor = shown.monitor
                app.state.maintenance = shown.maintenance
                app.state.supervisor = term.supervisor if term else supervisor

            replica = Replica(new_term, KafkaPublishedLog(settings.kafka), on_change=show)
            expose(
                app,
                idle.monitor,
                idle.maintenance,
                metrics_,
                admin_token=settings.admin_token,
                supervisor=supervisor,
                replica=replica,
            )
            ownership = KafkaOwnership(
                settings.kafka,
                group_id=settings.ownership_group,
                session_timeout_ms=settings.ownership_session_timeout_ms,
            )
            supervisor.start("ownership", functools.partial(ownership.hold, replica))
            try:
                yield
            finally:
                await supervisor.stop()
                await replica.step_down()

    app = FastAPI(title="siak_monitor", summary="SIAK health per region", lifespan=lifespan)
    install_routes(app, max_body_bytes=settings.max_body_bytes)
    return app


def clock_for(settings: MonitorSettings) -> Callable[[], datetime]:
    """The wall clock, or in a chaos run one the test steps while the monitor runs."""
    if settings.chaos_clock_offset_file is None:
        return utc_now
    log.warning(
        "the clock is stepped by %s: for chaos testing only", settings.chaos_clock_offset_file
    )
    return SteppedClock(settings.chaos_clock_offset_file)


def install_routes(app: FastAPI, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
    """The routes, behind a limit on bodies that checks the admin token before reading one."""
    for routes in (http_api, maintenance_api, metrics):
        routes.install_routes(app)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, admit=admin_before_body)


def build_monitor(
    settings: MonitorSettings,
    *,
    prober: Prober,
    publisher: EventPublisher,
    metrics: MonitorMetrics | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Monitor:
    regions = settings.watched_regions()
    zones = settings.region_zones()
    parent_target = settings.parent_target()
    parent = (
        ParentStatus(
            parent_target.name,
            RegionHealth(parent_target.name, settings.thresholds_for()),
            affected_regions=len(regions),
        )
        if parent_target is not None
        else None
    )
    watched = WatchedRegions(
        [RegionStatus(RegionHealth(r.code, settings.thresholds_for(r.code))) for r in regions],
        MaintenanceCalendar(zones),
        board=StatusBoard([region.code for region in regions]),
        parent=parent,
        history_size=settings.history_size,
        started_at=clock(),
    )
    return Monitor(
        monitor_id=settings.monitor_id,
        watched=watched,
        targets={region.code: settings.target_for(region.code) for region in regions},
        parent_target=parent_target,
        prober=prober,
        publisher=publisher,
        schedule=settings.schedule(),
        metrics=metrics,
        clock=clock,
    )


def supervisor_for(
    settings: MonitorSettings, metrics: PrometheusMetrics, *, backoff: Backoff | None = None
) -> Supervisor:
    """Restarts the monitor's tasks, counting each failure by kind of task."""
    return Supervisor(
        backoff=backoff or Backoff(),
        unhealthy_after_s=settings.task_unhealthy_after_s,
        on_failure=lambda name: metrics.task_restarted(task_kind(name)),
    )


def expose(
    app: FastAPI,
    monitor: Monitor,
    maintenance: MaintenanceService,
    metrics: PrometheusMetrics,
    *,
    admin_token: SecretStr,
    supervisor: Supervisor | None = None,
    replica: Replica | None = None,
) -> None:
    """What the routes read from `app.state`; `/readyz` reports the `supervisor`'s tasks and
    the `replica`'s standing (without one, the monitor counts as the shard's owner)."""
    metrics.watch(monitor)
    app.state.replica = replica
    app.state.monitor = monitor
    app.state.supervisor = supervisor or Supervisor()
    app.state.maintenance = maintenance
    app.state.metrics = metrics
    app.state.admin_token = admin_token.get_secret_value()
    if not app.state.admin_token:
        log.warning("MONITOR_ADMIN_TOKEN is not set: the maintenance admin API refuses everyone")


def _probe_client(settings: MonitorSettings) -> Http1Client:
    # As many kept-alive connections per origin as probes may be in flight, so that once
    # warm no probe opens a connection (all regions often share one SIAK host).
    return Http1Client(max_idle_per_origin=settings.max_concurrent_probes + 1)
