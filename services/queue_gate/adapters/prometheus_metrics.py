"""The gate's Prometheus metrics, and a SIAK client that records every answer."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import TypeVar

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from services.queue_gate.domain.siak_answer import (
    Delivered,
    Misconfigured,
    Refused,
    SiakAnswer,
    Unacknowledged,
)
from services.queue_gate.ports import MisconfigurationFlags, SiakClient, SubmissionStore

log = logging.getLogger(__name__)
T = TypeVar("T")

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
"""Set by `workers.serve` for its worker processes (`GATE_WORKERS` > 1): prometheus_client, when
this module is imported, then keeps each process's values in a file of its own there."""
WORKERS_DIRECTORY = "GATE_WORKERS_METRICS_DIR"
"""Set by `workers.serve` only, to the same directory: `/metrics` then adds up every worker's
files. Without it one process answers with its own values, whatever else the environment holds
(a PROMETHEUS_MULTIPROC_DIR of other services, or left from another run)."""

SUBMISSIONS_ACCEPTED = Counter(
    "queue_gate_submissions_accepted_total",
    "Submissions committed by intake, by the state they were accepted in",
    ["region", "state"],
)
INTAKE_REFUSED = Counter(
    "queue_gate_intake_refused_total",
    "Intake requests refused, by reason",
    ["reason"],
)
INTAKE_SECONDS = Histogram(
    "queue_gate_intake_seconds",
    "Time to validate, commit and answer a submission",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
SIAK_ANSWERS = Counter(
    "queue_gate_siak_answers_total",
    "SIAK's answers to deliveries: delivered, refused (parked), unavailable or unacknowledged"
    " (a 2xx that did not acknowledge the key; both retried), misconfigured (replay held)",
    ["region", "outcome"],
)
SIAK_SECONDS = Histogram(
    "queue_gate_siak_seconds",
    "Time SIAK took to answer a delivery",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ACTIVE_DISPATCHERS = Gauge(
    "queue_gate_active_dispatchers",
    "Regions this replica is delivering for (holding their dispatch lease)",
    # The leases every worker holds, together; a stopped worker's ended with its connection.
    multiprocess_mode="livesum",
)
DEAD_LETTERED = Counter(
    "queue_gate_dead_lettered_total",
    "Records set aside on their topic's .dlt: undecodable, unknown_region or unstorable",
    ["topic", "kind"],
)
DEAD_LETTERS_LOST = Counter(
    "queue_gate_dead_letters_lost_total",
    "Records that could not be set aside because their .dlt refused the copy for good"
    " (authorization, size): skipped so the partition goes on. Alert on any increase.",
    ["topic"],
)
PAYLOADS_UNOPENED = Counter(
    "queue_gate_payloads_unopened_total",
    "Sealed payloads that could not be opened, parked: data_key_unknown (sealed with a key"
    " id the gate is not configured with: add the key, retry the parked ones) or"
    " does_not_open (the key with that id does not open it). Alert on any increase.",
    ["reason"],
)
TASK_RESTARTS = Counter(
    "queue_gate_task_restarts_total",
    "Background tasks that failed (raised or returned) and were started again, by task",
    ["task"],
)
BACKLOG_DRIFT_REPAIRED = Counter(
    "queue_gate_backlog_drift_repaired_total",
    "Regions whose backlog count differed from their line and was corrected",
    ["region"],
)
DATABASE_CLOCK_GAP = Gauge(
    "queue_gate_database_clock_gap_seconds",
    "How far this gate host's clock stood ahead of PostgreSQL's (negative: behind) at the"
    " latest status read, in whole seconds. Freshness is corrected for it; past 5 s /readyz"
    " says degraded: the host's clock needs NTP",
    # Workers share the host's clock: the latest measurement of any of them.
    multiprocess_mode="livemostrecent",
)
PERSONAL_DATA_OVERDUE = Gauge(
    "queue_gate_personal_data_overdue_seconds",
    "How long past GATE_RETENTION_DAYS the oldest finished submission still holding personal"
    " data is (0: none is), measured after each purge round on the database's clock: every"
    " replica reports the same number. Alert above a few purge rounds (an hour each)",
    # Every worker purges and measures the same rows: the latest measurement of any of them.
    multiprocess_mode="livemostrecent",
)


class _ReadAtScrape(Collector):
    """The gauges `/metrics` reads from PostgreSQL, answered as read. Kept out of the workers'
    files: prometheus_client cannot take a value out of them, so an emptied line would go on
    showing its last backlog."""

    def __init__(self) -> None:
        self.backlogs: dict[str, int] = {}
        self.outbox_depth = 0
        self.misconfigured: dict[str, int] = {}
        self.failed: dict[str, bool] = {}
        """Whether each read failed, or ran out of its time, at the latest scrape."""

    def collect(self) -> Iterator[Metric]:
        backlog = GaugeMetricFamily(
            "queue_gate_backlog",
            "Submissions waiting in each region's line (queued, deferred or dispatching), read"
            " from PostgreSQL at each scrape: every replica reports the same numbers",
            labels=["region"],
        )
        for region, waiting in self.backlogs.items():
            backlog.add_metric([region], waiting)
        yield backlog
        yield GaugeMetricFamily(
            "queue_gate_outbox_depth",
            "Gate events stored and not yet acknowledged by Kafka, read from PostgreSQL at each"
            " scrape (every replica reports the same number): grows while Kafka is away",
            value=self.outbox_depth,
        )
        misconfigured = GaugeMetricFamily(
            "queue_gate_siak_misconfigured",
            "1 while SIAK's latest answer for the region says the gate's address or credentials"
            " are wrong (by HTTP status): its replay is held. Read from PostgreSQL at each"
            " scrape (every replica reports the same). Alert on any 1.",
            labels=["region", "status"],
        )
        for region, status in self.misconfigured.items():
            misconfigured.add_metric([region, str(status)], 1)
        yield misconfigured
        failed = GaugeMetricFamily(
            "queue_gate_read_at_scrape_failed",
            "1 when this scrape's read of `read` (backlog, misconfigured, outbox_depth) from"
            " PostgreSQL failed or took longer than the scrape allows it (2 s): the backlog is"
            " then left out, the others are as last read",
            labels=["read"],
        )
        for read, did_fail in sorted(self.failed.items()):
            failed.add_metric([read], float(did_fail))
        yield failed


READ_AT_SCRAPE = _ReadAtScrape()
REGISTRY.register(READ_AT_SCRAPE)


def exposition() -> bytes:
    """What `/metrics` answers: this process's registry, or with `GATE_WORKERS` > 1 what every
    worker counted, added up, whichever worker takes the scrape."""
    directory = os.environ.get(WORKERS_DIRECTORY)
    if directory is None:
        return generate_latest(REGISTRY)
    # A registry per scrape, as prometheus_client's multiprocess mode asks: the default one
    # holds this worker's own values only. Process and GC metrics would be one worker's at
    # random, so they are left out.
    registry = CollectorRegistry()
    try:
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    except ValueError:  # removed (a /tmp cleaner): the supervisor makes it again
        log.warning("metrics directory %s not found: answering without the counts", directory)
    registry.register(READ_AT_SCRAPE)
    return generate_latest(registry)


READ_AT_SCRAPE_BUDGET = timedelta(seconds=2)
"""How long a scrape waits on PostgreSQL for its reads, all of them at once: well inside the
ServiceMonitor's 10 s scrapeTimeout however busy the pool (a 5 s acquire timeout, a 15 s
command timeout) is, so a slow database never costs the whole scrape (decision 30)."""


async def record_read_at_scrape(
    submissions: SubmissionStore,
    flags: MisconfigurationFlags,
    outbox_depth: Callable[[], Awaitable[int]] | None,
) -> None:
    """Read each region's backlog, the misconfigured regions and the outbox's depth for the
    scrape, at once, within `READ_AT_SCRAPE_BUDGET`. A read that fails or runs out of time is
    counted in `queue_gate_read_at_scrape_failed`; the backlog is then left out (a stale
    number would hide a stalled replay; `/readyz` says why the database is away), the others
    stay as last read (the database being away is no news of SIAK's configuration or of
    Kafka, and has alerts of its own)."""
    deadline = asyncio.get_running_loop().time() + READ_AT_SCRAPE_BUDGET.total_seconds()
    backlogs, misconfigured, depth = await asyncio.gather(
        _read("backlog", submissions.backlogs, deadline),
        _read("misconfigured", flags.flagged, deadline),
        _read("outbox_depth", outbox_depth, deadline) if outbox_depth else _not_read(),
    )
    READ_AT_SCRAPE.backlogs = dict(backlogs) if backlogs is not None else {}
    if misconfigured is not None:
        READ_AT_SCRAPE.misconfigured = misconfigured
    if depth is not None:
        READ_AT_SCRAPE.outbox_depth = depth


async def _read(name: str, read: Callable[[], Awaitable[T]], deadline: float) -> T | None:
    """`read()` if it answers by `deadline` (the event loop's time); None if not, logged and
    counted as failed."""
    try:
        async with asyncio.timeout_at(deadline):
            value = await read()
    except Exception as error:
        log.warning("%s not read for /metrics: %s", name, type(error).__name__)
        READ_AT_SCRAPE.failed[name] = True
        return None
    READ_AT_SCRAPE.failed[name] = False
    return value


async def _not_read() -> None:
    return None


class InstrumentedSiakClient:
    def __init__(self, inner: SiakClient) -> None:
        self.inner = inner

    async def submit(self, region_code: str, ticket_id: str, payload: bytes) -> SiakAnswer:
        started = time.perf_counter()
        answer = await self.inner.submit(region_code, ticket_id, payload)
        SIAK_SECONDS.observe(time.perf_counter() - started)
        SIAK_ANSWERS.labels(region_code, _outcome(answer)).inc()
        return answer


def _outcome(answer: SiakAnswer) -> str:
    if isinstance(answer, Delivered):
        return "delivered"
    if isinstance(answer, Refused):
        return "refused"
    if isinstance(answer, Unacknowledged):
        return "unacknowledged"
    if isinstance(answer, Misconfigured):
        return "misconfigured"
    return "unavailable"
