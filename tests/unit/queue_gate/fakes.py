"""In-memory fakes of the gate's ports, for unit tests of its handlers and dispatchers."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import re
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError

from services.queue_gate.adapters.sealing import UnknownDataKeyError
from services.queue_gate.dispatching import DispatchDeps, RegionDispatcher
from services.queue_gate.domain.client_key import ClientKey, ClientKeyChange
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting, gate_news
from services.queue_gate.domain.region_gate import Override, RegionControl
from services.queue_gate.domain.region_status import RegionStatus, supersedes
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.domain.siak_answer import Delivered, SiakAnswer
from services.queue_gate.domain.ticket import WAITING_STATES, SubmissionState
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.operators.ports import ActionAudit, AuditEntry
from services.queue_gate.ports import (
    Admitted,
    BacklogFullError,
    DuplicateIdempotencyKeyError,
    NewSubmission,
    ParkedSubmission,
    StatusSnapshot,
    StoredSubmission,
)
from shared.events import MonitorHeartbeat, SiakStatus, StatusChanged
from shared.events.gate import GateStateChanged
from tests.support.status_store import store_change
from tests.unit.queue_gate.console_fakes import FakeConsole

START = datetime(2021, 10, 19, 8, 0, tzinfo=UTC)
_S = SubmissionState


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by

    def steady(self) -> float:
        """As `time.monotonic` (a clock that never steps), here moved with the fake's time."""
        return (self.now - START).total_seconds()


class Progress:
    """Lets a test await a fake having been used enough, without sleeping."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def mark(self) -> None:
        self._changed.set()

    async def until(self, done: Callable[[], bool], *, what: str, within: float = 10.0) -> None:
        async def waiting() -> None:
            while not done():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(waiting(), within)
        except TimeoutError:
            raise AssertionError(f"still waiting after {within} s for {what}") from None


async def assert_stops_when_cancelled_as_woken(
    start: Callable[[], tuple[Coroutine[Any, Any, None], Callable[[], None]]],
) -> None:
    """`start()` gives a loop to run and a way to wake it: cancelled at each point of a
    wake-up's way through the loop, the loop must stop, not swallow the cancellation."""
    for yields in range(6):
        loop_body, wake = start()
        task = asyncio.create_task(loop_body)
        for _ in range(3):  # let it settle into its wait
            await asyncio.sleep(0)
        wake()
        for _ in range(yields):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2)
        assert done == {task}, f"still running {yields} yields after the wake-up"
        assert task.cancelled()


def status_change(
    region_code: str, status: SiakStatus, *, seq: int, **fields: object
) -> StatusChanged:
    known = {"region_code": region_code, "status": status, "seq": seq, "since": START}
    return StatusChanged.model_validate({"previous_status": None, **known, **fields})


class FakeRegionStatusStore:
    def __init__(
        self,
        clock: Callable[[], datetime],
        announcer: FakeGateAnnouncer,
        controls: FakeRegionControlStore,
    ) -> None:
        self._clock = clock
        self._announcer = announcer
        self._controls = controls
        self._statuses: dict[str, RegionStatus] = {}
        self._applied_at: dict[str, datetime] = {}
        self._heartbeats: dict[str, tuple[datetime, int | None]] = {}
        """Each monitor's latest time taken in, and the place on the topic of its last one."""
        """The emitted_at of each monitor's last heartbeat taken in."""
        self._heard_at: dict[str, datetime] = {}

    async def get(self, region_code: str) -> RegionStatus | None:
        return self._statuses.get(region_code)

    async def all(self) -> list[RegionStatus]:
        return [self._statuses[code] for code in sorted(self._statuses)]

    async def apply_controlled(
        self, change: StatusChanged, *, announce: Mapping[Override, GateSighting]
    ) -> Override | None:
        if not supersedes(change, self._statuses.get(change.region_code)):
            return None
        self._statuses[change.region_code] = RegionStatus.from_event(change)
        self._applied_at[change.region_code] = self._clock()
        controlled = (await self._controls.get(change.region_code)).override
        if controlled in announce:
            await self._announcer.announce([announce[controlled]])
        return controlled

    async def last_heard_at(self, region_code: str) -> datetime | None:
        return (await self.snapshot([region_code])).last_heard_at(region_code)

    async def record_heartbeat(
        self,
        heartbeat: MonitorHeartbeat,
        *,
        offset: int | None = None,
        record_time: datetime | None = None,
    ) -> None:
        now = self._clock()
        heard_at = min(record_time or heartbeat.emitted_at, now)
        emitted_at = min(heartbeat.emitted_at, now)
        previous = self._heartbeats.get(heartbeat.monitor_id)
        if previous is not None:
            latest, last_offset = previous
            if offset is None or last_offset is None:
                news = latest <= emitted_at
            else:
                news = latest < emitted_at or last_offset < offset
            if not news:
                return
            emitted_at = max(latest, emitted_at)
        self._heartbeats[heartbeat.monitor_id] = (emitted_at, offset)
        for region in heartbeat.regions:
            known = self._heard_at.get(region.region_code)
            if known is None or known <= heard_at:
                self._heard_at[region.region_code] = heard_at

    async def snapshot(self, region_codes: list[str] | None = None) -> StatusSnapshot:
        wanted = (
            set(self._statuses) | set(self._heard_at) if region_codes is None else set(region_codes)
        )
        return StatusSnapshot(
            statuses={k: v for k, v in self._statuses.items() if k in wanted},
            applied_at={k: v for k, v in self._applied_at.items() if k in wanted},
            heartbeat_at={k: v for k, v in self._heard_at.items() if k in wanted},
        )


class FakeRegionControlStore:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._controls: dict[str, RegionControl] = {}
        self.history: list[tuple[str, RegionControl]] = []
        """Every change, oldest first, as the audit table keeps them."""

    async def get(self, region_code: str) -> RegionControl:
        return self._controls.get(region_code, RegionControl())

    async def all(self, region_codes: list[str] | None = None) -> dict[str, RegionControl]:
        wanted = set(self._controls if region_codes is None else region_codes)
        return {k: v for k, v in self._controls.items() if k in wanted}

    async def change(
        self, region_code: str, given: Mapping[str, Any], *, reason: str, actor: str
    ) -> None:
        held = self._controls.get(region_code, RegionControl())
        self.set(region_code, dataclasses.replace(held, **given, reason=reason), actor=actor)

    def set(self, region_code: str, control: RegionControl, *, actor: str) -> None:
        """Set the whole control, as a change would leave it (to set a scene)."""
        changed = dataclasses.replace(control, changed_by=actor, changed_at=self._clock())
        self._controls[region_code] = changed
        self.history.append((region_code, changed))


def _as_postgresql_text(value: str | None) -> None:
    """Refuses what a PostgreSQL text column refuses (a NUL, a lone surrogate), quoting the
    value in the error as asyncpg does."""
    if value is not None and ("\x00" in value or re.search("[\ud800-\udfff]", value)):
        raise ValueError(f"invalid input for query argument: {value!r}")


class FakeSubmissionStore:
    """Acceptance order is a counter; the line follows the rules of the PostgreSQL queries
    (tests/contract runs the same cases on both)."""

    def __init__(self, clock: Callable[[], datetime], audit: ActionAudit | None = None) -> None:
        self._clock = clock
        self._audit = audit
        """Where parked moves are audited; the contract cases' store keeps no audit."""
        self._rows: dict[str, StoredSubmission] = {}
        self._tickets_by_key: dict[tuple[str, str], str] = {}
        self._sequence = itertools.count(1)
        self.last_errors: dict[str, str | None] = {}

    def stored(self, ticket_id: str) -> StoredSubmission:
        return self._rows[ticket_id]

    async def add(self, submission: NewSubmission, *, backlog_cap: int = 10**9) -> Admitted:
        line = self._line(submission.region_code)
        if len(line) >= backlog_cap:
            raise BacklogFullError(submission.region_code, backlog_cap)
        if (submission.client_id, submission.idempotency_key) in self._tickets_by_key:
            raise DuplicateIdempotencyKeyError()
        held = submission.applicant_key in self._parked_applicants(submission.region_code)
        now = self._clock()
        stored = StoredSubmission.accepted(
            submission, seq=next(self._sequence), accepted_at=now, updated_at=now
        )
        self._rows[stored.ticket_id] = stored
        self._tickets_by_key[submission.client_id, submission.idempotency_key] = stored.ticket_id
        return Admitted(stored, ahead=None if held else len(line))

    async def by_idempotency_key(self, client_id: str, key: str) -> StoredSubmission | None:
        ticket_id = self._tickets_by_key.get((client_id, key))
        return None if ticket_id is None else self._rows[ticket_id]

    async def by_ticket(self, ticket_id: str) -> StoredSubmission | None:
        return self._rows.get(ticket_id)

    async def waiting_ahead(self, submission: StoredSubmission) -> int | None:
        held = self._parked_applicants(submission.region_code)
        if submission.state not in WAITING_STATES or submission.applicant_key in held:
            return None
        line = self._line(submission.region_code)
        return sum(1 for s in line if s.seq < submission.seq and s.applicant_key not in held)

    async def backlog(self, region_code: str) -> int:
        return len(self._line(region_code))

    async def line(self, region_code: str, *, limit: int) -> list[StoredSubmission]:
        held = self._parked_applicants(region_code)
        return [s for s in self._line(region_code) if s.applicant_key not in held][:limit]

    async def mark_dispatching(self, ticket_ids: list[str]) -> None:
        for ticket_id in ticket_ids:
            if self._rows[ticket_id].state in WAITING_STATES:
                await self.move(ticket_id, to=_S.DISPATCHING)

    async def mark_delivered(self, deliveries: list[tuple[str, str | None]]) -> None:
        for ticket_id, reference in deliveries:
            await self.move(
                ticket_id, to=_S.DELIVERED, expected=_S.DISPATCHING, siak_reference=reference
            )

    async def release(self, ticket_ids: list[str]) -> None:
        for ticket_id in ticket_ids:
            current = self._rows[ticket_id]
            if current.state is _S.DISPATCHING:
                self._rows[ticket_id] = dataclasses.replace(
                    current,
                    state=_S.QUEUED,
                    attempts=current.attempts - 1,
                    updated_at=self._clock(),
                )

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
        for text in (parked_reason, siak_reference, last_error):
            _as_postgresql_text(text)
        current = self._rows.get(ticket_id)
        if current is None or expected not in (None, current.state):
            return False
        now = self._clock()
        self._rows[ticket_id] = dataclasses.replace(
            current,
            state=to,
            attempts=current.attempts + (to is _S.DISPATCHING),
            parked_reason=parked_reason if to is _S.PARKED else current.parked_reason,
            next_attempt_at=next_attempt_at,
            delivered_at=now if to is _S.DELIVERED else current.delivered_at,
            updated_at=now,
        )
        self.last_errors[ticket_id] = last_error
        return True

    async def move_parked(self, ticket_id: str, *, to: _S, entry: AuditEntry) -> bool:
        moved = await self.move(ticket_id, to=to, expected=_S.PARKED)
        if moved and self._audit is not None:
            await self._audit.record(entry)
        return moved

    async def defer_queued(self, region_code: str) -> int:
        queued = [s for s in self._line(region_code) if s.state is _S.QUEUED]
        for s in queued:
            self._rows[s.ticket_id] = dataclasses.replace(
                s, state=_S.DEFERRED, updated_at=self._clock()
            )
        return len(queued)

    async def parked(
        self, region_code: str | None, *, after: int | None, limit: int
    ) -> list[ParkedSubmission]:
        in_region = (s for s in self._in_order() if region_code in (None, s.region_code))
        return [
            ParkedSubmission(
                s.seq,
                s.ticket_id,
                s.region_code,
                s.service_type,
                s.accepted_at,
                s.updated_at,
                s.parked_reason,
            )
            for s in in_region
            if s.state is _S.PARKED and (after is None or s.seq > after)
        ][:limit]

    async def purge_personal_data(self, *, finished_before: datetime, limit: int) -> int:
        finished = (s for s in self._rows.values() if s.state in (_S.DELIVERED, _S.CANCELLED))
        due = [s for s in finished if s.sealed_payload and s.updated_at < finished_before]
        due = sorted(due, key=lambda s: s.updated_at)[:limit]
        for s in due:
            purged = dataclasses.replace(s, sealed_payload=None, body_fingerprint="purged")
            self._rows[s.ticket_id] = purged
        return len(due)

    async def oldest_finished_age(self) -> timedelta | None:
        """As `KeptPersonalData` (the real one is a store of its own, the same table)."""
        finished = (s for s in self._rows.values() if s.state in (_S.DELIVERED, _S.CANCELLED))
        kept = [s.updated_at for s in finished if s.sealed_payload]
        return self._clock() - min(kept) if kept else None

    async def backlogs(self) -> dict[str, int]:
        regions = await self.regions_with_waiting()
        return {region: len(self._line(region)) for region in regions}

    async def regions_with_waiting(self) -> list[str]:
        return sorted({s.region_code for s in self._rows.values() if s.state in WAITING_STATES})

    def _in_order(self) -> list[StoredSubmission]:
        return sorted(self._rows.values(), key=lambda s: s.seq)

    def _line(self, region_code: str) -> list[StoredSubmission]:
        in_region = (s for s in self._in_order() if s.region_code == region_code)
        return [s for s in in_region if s.state in WAITING_STATES]

    def _parked_applicants(self, region_code: str) -> set[str]:
        in_region = (s for s in self._rows.values() if s.region_code == region_code)
        return {s.applicant_key for s in in_region if s.state is _S.PARKED}


class FakeClientKeyStore:
    """Keys and their audit in memory, as the PostgreSQL store keeps them."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._keys: dict[str, ClientKey] = {}
        self._changes: list[ClientKeyChange] = []
        self.failing = False
        """While set, every read raises, as a store whose database is gone."""

    def holding(self, key: ClientKey) -> FakeClientKeyStore:
        """The store with `key` in it already, unaudited: for setting a scene."""
        self._keys[key.key_id] = key
        return self

    async def add(self, key: ClientKey, *, reason: str) -> None:
        if key.key_id in self._keys:
            raise ValueError("key id taken")
        self._keys[key.key_id] = key
        self._audit(key.key_id, "created", reason, key.created_by)

    async def revoke(self, key_id: str, *, actor: str, reason: str) -> ClientKey | None:
        key = self._keys.get(key_id)
        if key is None or key.revoked_at is not None:
            return None
        revoked = dataclasses.replace(key, revoked_at=self._clock(), revoked_by=actor)
        self._keys[key_id] = revoked
        self._audit(key_id, "revoked", reason, actor)
        return revoked

    async def active(self) -> list[ClientKey]:
        return [key for key in await self.all() if key.revoked_at is None]

    async def all(self) -> list[ClientKey]:
        if self.failing:
            raise ConnectionError("the database is gone")
        return sorted(self._keys.values(), key=lambda key: (key.created_at, key.key_id))

    async def changes(self, key_id: str | None = None) -> list[ClientKeyChange]:
        return [c for c in self._changes if key_id in (None, c.key_id)]

    def _audit(self, key_id: str, action: str, reason: str, actor: str) -> None:
        self._changes.append(ClientKeyChange(key_id, action, reason, actor, self._clock()))


class FakeSealer:
    """Reversible but not secret: XOR behind a prefix naming the ticket it is bound to; it
    knows the key ids in `known` and seals with `key_id`."""

    def __init__(self) -> None:
        self.key_id = "fake-key"
        self.known = {self.key_id}

    def seal(self, plaintext: bytes, *, ticket_id: str) -> bytes:
        return _binding(ticket_id) + _xor(plaintext)

    def unseal(self, sealed: bytes, *, ticket_id: str, key_id: str) -> bytes:
        if key_id not in self.known:
            raise UnknownDataKeyError(key_id)
        binding = _binding(ticket_id)
        if not sealed.startswith(binding):
            raise ValueError("sealed for another ticket")
        return _xor(sealed[len(binding) :])


def _binding(ticket_id: str) -> bytes:
    return f"sealed-for:{ticket_id}:".encode()


def _xor(data: bytes) -> bytes:
    return bytes(byte ^ 0x5A for byte in data)


@dataclasses.dataclass(frozen=True)
class SiakCall:
    region_code: str
    ticket_id: str
    payload: bytes
    answered_before: int
    """How many calls SIAK had answered when this one came in."""


class FakeSiak:
    """Answers each ticket from its script, else the default; records every call in order.

    While answers are held, a call is recorded and then waits for `release_answers`.
    """

    def __init__(self) -> None:
        self.default: SiakAnswer = Delivered("SIAK-OK")
        self.calls: list[SiakCall] = []
        self.answered = 0
        self.progress = Progress()
        self._scripts: defaultdict[str, deque[SiakAnswer]] = defaultdict(deque)
        self._answering = asyncio.Event()
        self._answering.set()

    @property
    def sent(self) -> list[str]:
        return [call.ticket_id for call in self.calls]

    def script(self, ticket_id: str, *answers: SiakAnswer) -> None:
        self._scripts[ticket_id].extend(answers)

    def hold_answers(self) -> None:
        self._answering.clear()

    def release_answers(self) -> None:
        self._answering.set()

    async def until_sent(self, count: int, *, within: float = 10.0) -> None:
        await self.progress.until(
            lambda: len(self.calls) >= count, what=f"{count} calls to SIAK", within=within
        )

    async def submit(self, region_code: str, ticket_id: str, payload: bytes) -> SiakAnswer:
        self.calls.append(SiakCall(region_code, ticket_id, payload, self.answered))
        self.progress.mark()
        await self._answering.wait()
        self.answered += 1
        script = self._scripts[ticket_id]
        return script.popleft() if script else self.default


class FakeMisconfigurationFlags:
    """The regions flagged, as the PostgreSQL table keeps them for every replica; `writes`
    records each call that would write there. `submissions`: the lines it looks at for what
    waits (none given: nothing waits anywhere)."""

    def __init__(self, submissions: FakeSubmissionStore | None = None) -> None:
        self.submissions = submissions
        self.statuses: dict[str, int] = {}
        self.writes: list[tuple[str, int | None]] = []

    async def flag(self, region_code: str, status: int) -> None:
        self.writes.append((region_code, status))
        self.statuses[region_code] = status

    async def clear(self, region_code: str) -> None:
        self.writes.append((region_code, None))
        self.statuses.pop(region_code, None)

    async def flagged(self) -> dict[str, int]:
        return dict(self.statuses)

    async def clear_where_nothing_waits(self) -> list[str]:
        waiting = set(await self.submissions.regions_with_waiting()) if self.submissions else set()
        cleared = sorted(set(self.statuses) - waiting)
        for region_code in cleared:
            await self.clear(region_code)
        return cleared


class FakeLease:
    def __init__(self, region_code: str) -> None:
        self.region_code = region_code
        self.released = asyncio.Event()
        self._held = True

    def is_held(self) -> bool:
        return self._held

    async def release(self) -> None:
        self._held = False
        self.released.set()


class FakeLeases:
    """One lease per region at a time; `held_elsewhere` stands for other replicas' leases."""

    def __init__(self) -> None:
        self.held_elsewhere: set[str] = set()
        self.granted: list[FakeLease] = []
        self.attempts: list[str] = []
        self.most_held_at_once = 0
        self.progress = Progress()

    async def until_tried(self, count: int) -> None:
        await self.progress.until(lambda: len(self.attempts) >= count, what=f"{count} attempts")

    async def try_hold(self, region_code: str) -> FakeLease | None:
        self.attempts.append(region_code)
        self.progress.mark()
        taken = any(lease.is_held() for lease in self.granted if lease.region_code == region_code)
        if taken or region_code in self.held_elsewhere:
            return None
        lease = FakeLease(region_code)
        self.granted.append(lease)
        held = sum(lease.is_held() for lease in self.granted)
        self.most_held_at_once = max(self.most_held_at_once, held)
        return lease


class FakeGateAnnouncer:
    """Tells each turn once, as the PostgreSQL announcer does for all replicas."""

    def __init__(self) -> None:
        self.announced: list[GateStateChanged] = []
        self.told: dict[str, GateState] = {}

    async def announce(self, sightings: Sequence[GateSighting]) -> list[GateStateChanged]:
        news = []
        for sighting in sightings:
            event = gate_news(self.told.get(sighting.region_code), sighting)
            if event is not None:
                news.append(event)
                self.told[sighting.region_code] = GateState(event.gate_state)
        self.announced.extend(news)
        return news


class FakePorts:
    """Every port of the gate faked on one clock, with a few ways to set the scene."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.announcer = FakeGateAnnouncer()
        self.controls = FakeRegionControlStore(self.clock)
        self.statuses = FakeRegionStatusStore(self.clock, self.announcer, self.controls)
        self.console = FakeConsole.over(self.controls)
        self.submissions = FakeSubmissionStore(self.clock, self.console.audit)
        self.client_keys = FakeClientKeyStore(self.clock)
        self.sealer = FakeSealer()
        self.siak = FakeSiak()
        self.misconfigurations = FakeMisconfigurationFlags(self.submissions)
        self.leases = FakeLeases()
        self._seqs: defaultdict[str, itertools.count[int]] = defaultdict(itertools.count)
        self._tickets = itertools.count(1)

    async def region_is(self, region_code: str, status: SiakStatus, **fields: object) -> None:
        change = status_change(region_code, status, seq=next(self._seqs[region_code]) + 1, **fields)
        assert await store_change(self.statuses, change)

    def dispatch_deps(
        self, policy: GatePolicy, pacing: PacingConfig, *, idle_timeout: timedelta
    ) -> DispatchDeps:
        return DispatchDeps(
            submissions=self.submissions,
            statuses=self.statuses,
            controls=self.controls,
            siak=self.siak,
            sealer=self.sealer,
            policy=policy,
            pacing=pacing,
            clock=self.clock,
            misconfigurations=self.misconfigurations,
            announcer=self.announcer,
            idle_timeout=idle_timeout,
        )

    async def control(self, region_code: str, control: RegionControl) -> None:
        self.controls.set(region_code, control, actor="ops-test")

    async def waiting(self, region_code: str, applicant: str, state: _S = _S.DEFERRED) -> str:
        """A submission of `applicant` accepted now, waiting in `state`; its ticket id."""
        # The shape of a real ticket id (22 characters after `tkt_`), readable.
        ticket_id = f"tkt_{region_code.replace('.', '_')}_{next(self._tickets):016d}"
        sealed = self.sealer.seal(payload_for(ticket_id), ticket_id=ticket_id)
        await self.submissions.add(
            NewSubmission(
                ticket_id=ticket_id,
                region_code=region_code,
                service_type="akta_kelahiran",
                applicant_key=f"applicant-{applicant}",
                idempotency_key=f"key-{ticket_id}",
                body_fingerprint=f"body-{ticket_id}",
                sealed_payload=sealed,
                state=state,
                client_id="portal-test",
                data_key_id=self.sealer.key_id,
            )
        )
        return ticket_id


def payload_for(ticket_id: str) -> bytes:
    return f'{{"ticket":"{ticket_id}"}}'.encode()


async def drive(ports: FakePorts, dispatcher: RegionDispatcher) -> list[timedelta]:
    """Steps until nothing is left to do, the clock running through every wait; the waits."""
    waits: list[timedelta] = []
    while (wait := await dispatcher.step()) is not None:
        assert len(waits) < 1000, "the dispatcher never settles"
        waits.append(wait)
        ports.clock.advance(wait)
    return waits


@dataclasses.dataclass(frozen=True)
class FakeMessage:
    """What `consume` reads of an aiokafka `ConsumerRecord`."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp: int | None = None


class FakeRecordSource:
    """Stands for an aiokafka consumer to `consume`: serves each partition's records from its
    position on, a whole batch at a time as `getmany` does, and goes back on `seek`."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.logs: dict[int, list[FakeMessage]] = defaultdict(list)
        self.positions: dict[int, int] = defaultdict(int)
        self.seeks: list[tuple[int, int]] = []
        self.assigned: set[int] | None = None
        """The partitions assigned, once a test reassigns them: aiokafka refuses a seek
        outside them (after `on_partitions_assigned`; until then the old assignment holds)."""
        self._more = asyncio.Event()

    def append(self, partition: int, *values: bytes) -> None:
        log = self.logs[partition]
        for value in values:
            log.append(FakeMessage(self.topic, partition, len(log), b"key", value))
        self._more.set()

    async def getmany(self, *, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        while True:
            batches = {
                TopicPartition(self.topic, partition): log[self.positions[partition] :]
                for partition, log in self.logs.items()
                if self.positions[partition] < len(log)
            }
            if batches:
                for tp, messages in batches.items():
                    self.positions[tp.partition] += len(messages)
                return batches
            self._more.clear()
            await self._more.wait()

    def seek(self, partition: TopicPartition, offset: int) -> None:
        if self.assigned is not None and partition.partition not in self.assigned:
            raise IllegalStateError(f"No current assignment for partition {partition}")
        self.seeks.append((partition.partition, offset))
        self.positions[partition.partition] = offset
        self._more.set()
