"""The monitor's composition root: settings in, a running FastAPI app out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from services.siak_monitor.adapters.http_prober import HttpProber
from services.siak_monitor.adapters.kafka_status import (
    KafkaPublishedStatusLog,
    KafkaStatusPublisher,
)
from services.siak_monitor.domain.health import HealthThresholds
from services.siak_monitor.domain.status_board import StatusBoard
from services.siak_monitor.entrypoints.http_api import install_routes
from services.siak_monitor.monitoring import Monitor, Schedule, utc_now
from services.siak_monitor.settings import MonitorSettings
from shared.kafka_admin import ensure_topics
from shared.regions import select_regions
from shared.topics import MONITOR_TOPICS


def create_app(settings: MonitorSettings) -> FastAPI:
    region_codes = [region.code for region in select_regions(settings.watch)]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        bootstrap = settings.kafka.bootstrap_servers
        await ensure_topics(bootstrap, MONITOR_TOPICS)
        published = await KafkaPublishedStatusLog(bootstrap).latest_by_region()
        publisher = KafkaStatusPublisher(bootstrap)
        await publisher.start()
        async with httpx.AsyncClient() as http:
            monitor = Monitor(
                monitor_id=settings.monitor_id,
                region_codes=region_codes,
                prober=HttpProber(
                    http,
                    url_template=settings.probe_url_template,
                    timeout_s=settings.probe_timeout_s,
                    clock=utc_now,
                ),
                publisher=publisher,
                board=StatusBoard(region_codes, published),
                thresholds=HealthThresholds(
                    failure_threshold=settings.failure_threshold,
                    success_threshold=settings.success_threshold,
                    degraded_latency_ms=settings.degraded_latency_ms,
                ),
                schedule=Schedule(
                    probe_interval_s=settings.probe_interval_s,
                    probe_jitter_s=settings.probe_jitter_s,
                    max_concurrent_probes=settings.max_concurrent_probes,
                    heartbeat_period_s=settings.heartbeat_period_s,
                ),
            )
            app.state.monitor = monitor
            running = asyncio.create_task(monitor.run(), name="monitor")
            app.state.ready = True
            try:
                yield
            finally:
                app.state.ready = False
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
                await publisher.stop()

    app = FastAPI(title="siak_monitor", summary="SIAK health per region", lifespan=lifespan)
    install_routes(app)
    return app
