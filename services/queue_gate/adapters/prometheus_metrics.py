"""The gate's Prometheus metrics, and a SIAK client that records every answer."""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram

from services.queue_gate.ports import Delivered, Refused, SiakAnswer, SiakClient

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
    "SIAK's answers to deliveries: delivered, refused (parked) or unavailable (retried)",
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
    return "unavailable"
