"""What the checker reads: the load client's log, SIAK's received log and the status timeline."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Submitted:
    """One submission as the load client saw it, all its retries included.

    `applicant` is an opaque label (never the NIK): the log can be printed.
    """

    key: str
    """The client's `Idempotency-Key`."""
    region: str
    applicant: str
    tickets: tuple[str, ...] = ()
    """Every distinct ticket id answered 202 for the key: one, or none if never acknowledged."""
    order: int | None = None
    """Place among the region's acknowledged submissions: the client sends one region's
    submissions one after another, so the order of its 202s is the acceptance order."""
    answers: tuple[int | None, ...] = ()
    """Each attempt's HTTP status; None where no answer came."""

    @property
    def acknowledged(self) -> bool:
        return bool(self.tickets)


@dataclass(frozen=True)
class Received:
    """One submission as SIAK recorded it: its idempotency key is the gate's ticket id."""

    key: str
    region: str
    at: float
    """Seconds since the epoch."""


@dataclass(frozen=True)
class StatusPoint:
    """A record of `siak.status.v1`: from `at` (its Kafka timestamp) the region's status."""

    region: str
    at: float
    status: str
    seq: int = 0


@dataclass(frozen=True)
class Heartbeat:
    """A record of `siak.monitor.heartbeat.v1`: at `at` these regions' statuses were confirmed."""

    at: float
    regions: frozenset[str]


@dataclass(frozen=True)
class Text:
    """Something anyone could read (a log line, an event, an unauthenticated answer)."""

    source: str
    content: str
