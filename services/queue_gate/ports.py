"""What the gate needs from the outside world."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.queue_gate.domain.client_key import ClientKey, ClientKeyChange
from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import Override, RegionControl
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.domain.siak_answer import SiakAnswer
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.operators.ports import AuditEntry
from shared.events import MonitorHeartbeat, StatusChanged
from shared.events.gate import GateStateChanged


class RegionStatusStore(Protocol):
    async def get(self, region_code: str) -> RegionStatus | None: ...

    async def all(self) -> list[RegionStatus]: ...

    async def apply_controlled(
        self, change: StatusChanged, *, announce: Mapping[Override, GateSighting]
    ) -> Override | None:
        """Store the change if it supersedes what is stored, reading in the same transaction
        the override operators set for the region; the override read when the change was
        applied, None when it was not.

        When it is applied, subscribers are told of the gate as `announce[override]` saw it
        after the change (nothing when that is not given), in the same transaction, if that is
        news to them (see `GateAnnouncer`). Returns only once the change is committed.
        """

    async def last_heard_at(self, region_code: str) -> datetime | None:
        """The latest of the region's last status change and the last heartbeat listing it."""

    async def record_heartbeat(
        self,
        heartbeat: MonitorHeartbeat,
        *,
        offset: int | None = None,
        record_time: datetime | None = None,
    ) -> None:
        """The regions it lists were heard of when it was sent, unless an earlier heartbeat
        of the same monitor was already taken in; a time ahead of the gate's clock counts as
        now. A heartbeat read late (a backlog) leaves its regions as stale as it is.

        `offset` is the heartbeat's place on its topic, where it was read from there, and
        `record_time` the record's timestamp there (the broker's append time: the heartbeat
        topic keeps LogAppendTime, so a monitor's clock set back does not age its heartbeats);
        without it, the heartbeat's own `emitted_at`."""

    async def snapshot(self, region_codes: list[str] | None = None) -> StatusSnapshot:
        """The status of these regions (all when None) and when each was heard of, in one
        read."""


@dataclass(frozen=True)
class StatusSnapshot:
    """Regions' statuses and when they were heard of, on the clock that judges freshness
    (the gate's), whoever stamped them."""

    statuses: dict[str, RegionStatus]
    applied_at: dict[str, datetime]
    """When each region's latest change was applied here."""
    heartbeat_at: dict[str, datetime]
    """When a heartbeat last listed each region."""

    def last_heard_at(self, region_code: str) -> datetime | None:
        heard = (self.applied_at.get(region_code), self.heartbeat_at.get(region_code))
        return max((at for at in heard if at), default=None)


@dataclass(frozen=True)
class NewSubmission:
    ticket_id: str
    region_code: str
    service_type: str
    applicant_key: str
    idempotency_key: str
    body_fingerprint: str
    sealed_payload: bytes
    state: SubmissionState
    client_id: str
    data_key_id: str
    """The id of the key that sealed `sealed_payload`."""
    """The intake key's client that submitted it (`LOCAL_CLIENT_ID` for `GATE_API_KEY`)."""


@dataclass(frozen=True)
class StoredSubmission:
    seq: int
    ticket_id: str
    region_code: str
    service_type: str
    applicant_key: str
    body_fingerprint: str
    state: SubmissionState
    attempts: int
    accepted_at: datetime
    updated_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    parked_reason: str | None
    sealed_payload: bytes | None
    data_key_id: str
    """The id of the key that sealed `sealed_payload`."""
    client_id: str | None = None
    """Who submitted it; None for submissions from before intake keys had ids."""

    @classmethod
    def accepted(
        cls, new: NewSubmission, *, seq: int, accepted_at: datetime, updated_at: datetime
    ) -> StoredSubmission:
        """`new` as just stored: with its place in `seq` and its times, the rest as it starts."""
        return cls(
            seq=seq,
            ticket_id=new.ticket_id,
            region_code=new.region_code,
            service_type=new.service_type,
            applicant_key=new.applicant_key,
            body_fingerprint=new.body_fingerprint,
            state=new.state,
            attempts=0,
            accepted_at=accepted_at,
            updated_at=updated_at,
            delivered_at=None,
            next_attempt_at=None,
            parked_reason=None,
            sealed_payload=new.sealed_payload,
            client_id=new.client_id,
            data_key_id=new.data_key_id,
        )


@dataclass(frozen=True)
class ParkedSubmission:
    """A parked submission as operators list it: nothing of the applicant, no payload."""

    seq: int
    """Its place in acceptance order, where the next page of a list starts after it."""
    ticket_id: str
    region_code: str
    service_type: str
    accepted_at: datetime
    updated_at: datetime
    parked_reason: str | None


@dataclass(frozen=True)
class Admitted:
    submission: StoredSubmission
    ahead: int | None
    """How many of the region's submissions waited before it when it was committed; None when
    it waits behind a parked submission of the same applicant."""


class DuplicateIdempotencyKeyError(Exception):
    """Another request committed the same Idempotency-Key first."""


class BacklogFullError(Exception):
    def __init__(self, region_code: str, cap: int) -> None:
        super().__init__(f"region {region_code} already has {cap} submissions waiting")
        self.region_code = region_code
        self.cap = cap


class StoreBusyError(Exception):
    """The store cannot take more now (its queue for commits is full): try again shortly."""


class Sealer(Protocol):
    """Encrypts personal data at rest, bound to its ticket, with keys known by their ids."""

    @property
    def key_id(self) -> str:
        """The id of the key `seal` uses: recorded on each row it seals."""

    def seal(self, plaintext: bytes, *, ticket_id: str) -> bytes: ...

    def unseal(self, sealed: bytes, *, ticket_id: str, key_id: str) -> bytes:
        """Raises LookupError when no key has `key_id`, another error when the payload
        does not open with it."""


class SubmissionStore(Protocol):
    async def add(self, submission: NewSubmission, *, backlog_cap: int) -> Admitted:
        """Commit the submission (in acceptance order for its region) and wake dispatchers.

        Raises DuplicateIdempotencyKeyError when its key is already taken, BacklogFullError
        when `backlog_cap` submissions already wait in its region.
        """

    async def by_idempotency_key(self, client_id: str, key: str) -> StoredSubmission | None:
        """The submission `client_id` sent under `key`: each client numbers its own keys."""

    async def by_ticket(self, ticket_id: str) -> StoredSubmission | None: ...

    async def waiting_ahead(self, submission: StoredSubmission) -> int | None:
        """How many go to SIAK before it; None when held behind a parked one or not waiting."""

    async def backlog(self, region_code: str) -> int: ...

    async def backlogs(self) -> dict[str, int]:
        """Every region with submissions waiting, and how many."""

    async def line(self, region_code: str, *, limit: int) -> list[StoredSubmission]:
        """The region's first `limit` waiting submissions in acceptance order, leaving out
        those of applicants who have one parked."""

    async def mark_dispatching(self, ticket_ids: list[str]) -> None:
        """These waiting submissions are about to be sent; each counts one more attempt."""

    async def mark_delivered(self, deliveries: list[tuple[str, str | None]]) -> None:
        """SIAK took these dispatching submissions (ticket id, SIAK's reference): one commit."""

    async def release(self, ticket_ids: list[str]) -> None:
        """Dispatching submissions that were not sent after all go back in line as they were."""

    async def move(
        self,
        ticket_id: str,
        *,
        to: SubmissionState,
        expected: SubmissionState | None = None,
        parked_reason: str | None = None,
        siak_reference: str | None = None,
        next_attempt_at: datetime | None = None,
        last_error: str | None = None,
    ) -> bool:
        """Change a submission's state (if in `expected`); True when it did."""

    async def move_parked(self, ticket_id: str, *, to: SubmissionState, entry: AuditEntry) -> bool:
        """Move a parked submission and write the operator's audit entry in one transaction:
        neither without the other. False when it is not parked."""

    async def defer_queued(self, region_code: str) -> int:
        """Queued submissions of a closed region now wait as deferred."""

    async def parked(
        self, region_code: str | None, *, after: int | None, limit: int
    ) -> list[ParkedSubmission]:
        """The region's (every region's, for None) parked submissions in acceptance order:
        the first `limit` after the one whose `seq` is `after`."""

    async def regions_with_waiting(self) -> list[str]: ...

    async def purge_personal_data(self, *, finished_before: datetime, limit: int) -> int:
        """Drop the sealed personal data of at most `limit` submissions delivered or
        cancelled before then (the oldest first), in one short transaction; how many."""


class RegionControlStore(Protocol):
    async def get(self, region_code: str) -> RegionControl: ...

    async def all(self, region_codes: list[str] | None = None) -> dict[str, RegionControl]:
        """The controls of these regions (all when None) that an operator ever set."""

    async def change(
        self, region_code: str, given: Mapping[str, Any], *, reason: str, actor: str
    ) -> None:
        """Set only the fields `given` (and the reason), atomically: a concurrent change of
        another field is kept; audited with who and why."""


class SiakClient(Protocol):
    async def submit(self, region_code: str, ticket_id: str, payload: bytes) -> SiakAnswer:
        """Send a submission; the ticket id is the idempotency key, so a resend has no effect."""


class MisconfigurationFlags(Protocol):
    """Regions whose replay is held because SIAK answers that the gate's address or
    credentials are wrong: a fact of the region, the same for every replica and worker."""

    async def flag(self, region_code: str, status: int) -> None:
        """SIAK answered the region's replay with `status`, which says the gate is
        misconfigured."""

    async def clear(self, region_code: str) -> None:
        """SIAK judged a submission of the region on its merits, or none is left to send."""

    async def flagged(self) -> dict[str, int]:
        """Every region flagged, with the status SIAK answered."""

    async def clear_where_nothing_waits(self) -> list[str]:
        """Clear the flag of every region with no submission waiting (a line emptied with no
        dispatcher running, rows removed by hand): nothing is held there. The regions cleared."""


class Lease(Protocol):
    def is_held(self) -> bool: ...

    async def release(self) -> None: ...


class DispatchLeases(Protocol):
    async def try_hold(self, region_code: str) -> Lease | None:
        """The region's dispatch lease if no other dispatcher holds it, on any replica."""


class GateAnnouncer(Protocol):
    async def announce(self, sightings: Sequence[GateSighting]) -> list[GateStateChanged]:
        """Tell subscribers (durably: through the outbox, in one transaction) of each sighted
        gate that differs from what they were last told; each change is told once, whichever
        replica sights it first. The events written."""


class ClientKeyStore(Protocol):
    """The portals' intake keys (digests only), every change audited in the same commit."""

    async def add(self, key: ClientKey, *, reason: str) -> None:
        """Store a new key, audited as created by `key.created_by` for `reason`."""

    async def revoke(self, key_id: str, *, actor: str, reason: str) -> ClientKey | None:
        """Revoke an active key, audited; the key as revoked, None when no such key is
        active (unknown or revoked before: nothing changes)."""

    async def active(self) -> list[ClientKey]:
        """Every key not revoked."""

    async def all(self) -> list[ClientKey]:
        """Every key, revoked ones too, oldest first."""

    async def changes(self, key_id: str | None = None) -> list[ClientKeyChange]:
        """The audit of one key (all keys when None), oldest first."""
