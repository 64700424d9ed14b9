"""Prometheus metrics of the monitor, served on `/metrics`."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.siak_monitor.domain.probe import ProbeResult, ProbeTarget
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.ports import OutgoingEvent
from shared.events import SiakStatus
from shared.events.schemas import TOPIC_EVENTS

TOPIC_OF_EVENT = {event.model: event.topic for event in TOPIC_EVENTS}
PROBE_SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class PrometheusMetrics:
    """Counts what happens as it happens; what the monitor holds is read at scrape time."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._state: _MonitorState | None = None
        self.probe_seconds = Histogram(
            "siak_monitor_probe_duration_seconds",
            "Time a probe took to answer (or to time out).",
            ["target"],
            buckets=PROBE_SECONDS_BUCKETS,
            registry=registry,
        )
        self.probe_errors = Counter(
            "siak_monitor_probe_errors",
            "Failed probes by kind of failure (timeout, connection_refused, http_503, ...).",
            ["kind"],
            registry=registry,
        )
        self.published = Counter(
            "siak_monitor_events_published",
            "Events the broker has taken, by topic.",
            ["topic"],
            registry=registry,
        )
        self.publish_failures = Counter(
            "siak_monitor_publish_failures",
            "Events the broker did not take (they are retried), by topic.",
            ["topic"],
            registry=registry,
        )

        self.plans_ignored = Counter(
            "siak_monitor_maintenance_plans_ignored",
            "Plans read back from the plans topic that cannot be plans (e.g. out of range).",
            registry=registry,
        )

        self.task_restarts = Counter(
            "siak_monitor_task_restarts",
            "Background tasks restarted after failing, by task (every region's probe: probes).",
            ["task"],
            registry=registry,
        )

    def watch(self, monitor: Monitor) -> None:
        """Report `monitor`'s state from now on (a replica's monitor changes with each term)."""
        if self._state is None:
            self._state = _MonitorState(monitor)
            self.registry.register(self._state)
        self._state.monitor = monitor

    def probe_finished(self, target: ProbeTarget, result: ProbeResult, *, parent: bool) -> None:
        if result.latency_ms is not None:
            self.probe_seconds.labels("parent" if parent else "region").observe(
                result.latency_ms / 1000
            )
        if not result.ok:
            self.probe_errors.labels(result.error or "unknown").inc()

    def event_published(self, event: OutgoingEvent) -> None:
        self.published.labels(TOPIC_OF_EVENT[type(event)]).inc()

    def event_failed(self, event: OutgoingEvent) -> None:
        self.publish_failures.labels(TOPIC_OF_EVENT[type(event)]).inc()

    def maintenance_plan_ignored(self) -> None:
        self.plans_ignored.inc()

    def task_restarted(self, task: str) -> None:
        self.task_restarts.labels(task).inc()


class _MonitorState(Collector):
    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Metric]:
        watched = self.monitor.watched
        regions = GaugeMetricFamily(
            "siak_monitor_region_status",
            "1 for each region's current status, 0 for the others.",
            labels=["region", "status"],
        )
        for code in watched.region_codes:
            current = watched.region(code).status
            for status in SiakStatus:
                regions.add_metric([code, status.value], 1.0 if status == current else 0.0)
        yield regions
        if watched.parent is not None:
            parent = GaugeMetricFamily(
                "siak_monitor_parent_status",
                "1 for the parent target's current status, 0 for the others.",
                labels=["target", "status"],
            )
            for status in SiakStatus:
                is_current = status == watched.parent.current.status
                parent.add_metric([watched.parent.name, status.value], 1.0 if is_current else 0.0)
            yield parent
        yield GaugeMetricFamily(
            "siak_monitor_pending_events",
            "Events owed to subscribers and not published yet (grows while Kafka is away).",
            value=self.monitor.pending_count(),
        )
        yield GaugeMetricFamily(
            "siak_monitor_exhausted_regions",
            "Regions read back at the greatest (epoch, seq): none of their changes can count "
            "until the status topic is recreated.",
            value=len(watched.board.exhausted()),
        )
        yield GaugeMetricFamily(
            "siak_monitor_ready",
            "1 once the published statuses have been read back and publishing may go on.",
            value=1.0 if self.monitor.restored.is_set() else 0.0,
        )


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def install_routes(app: FastAPI) -> None:
    app.include_router(router)
