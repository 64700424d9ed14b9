"""In-memory state of the simulated SIAK: region conditions, received submissions and rejects."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.clock import utc_now

ALL_REGIONS = "*"
DEFAULT_SLOW_LATENCY_MS = 2000
DEFAULT_REJECT_REASON = "rejected by simulated SIAK validation"

_REGION_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}")


class RegionState(StrEnum):
    UP = "up"
    DOWN = "down"
    SLOW = "slow"
    ERROR = "error"
    MAINTENANCE = "maintenance"
    # Healthy to a probe, but submissions get what a misbehaving front end, or a caller with a
    # wrong address or expired credentials, would get; none is recorded.
    REDIRECT = "redirect"
    """302 to a login page."""
    UNACKNOWLEDGED = "unacknowledged"
    """200 with a JSON body that does not acknowledge the key."""
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    KEY_CONFLICT = "key_conflict"
    """409: the idempotency key is said to be taken by another request."""
    GONE = "gone"
    INVALID = "invalid"
    """422 as a FastAPI validator words it, echoing the applicant's NIK and name."""


ANSWER_FAULTS = frozenset(
    {
        RegionState.REDIRECT,
        RegionState.UNACKNOWLEDGED,
        RegionState.UNAUTHORIZED,
        RegionState.FORBIDDEN,
        RegionState.NOT_FOUND,
        RegionState.METHOD_NOT_ALLOWED,
        RegionState.KEY_CONFLICT,
        RegionState.GONE,
        RegionState.INVALID,
    }
)


class InvalidRegionCodeError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"invalid region code {code!r}: expected two two-digit parts such as '32.73'"
        )
        self.code = code


def is_region_code(code: str) -> bool:
    # fullmatch, because `$` in a search pattern would also accept a trailing newline.
    return _REGION_CODE.fullmatch(code) is not None


@dataclass(frozen=True, slots=True)
class RegionCondition:
    state: RegionState
    latency_ms: int = 0

    @classmethod
    def of(cls, state: RegionState, latency_ms: int | None = None) -> RegionCondition:
        if latency_ms is not None and latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if state is not RegionState.SLOW:
            # Only a slow region waits, so reporting any other delay would mislead.
            return cls(state, 0)
        return cls(state, DEFAULT_SLOW_LATENCY_MS if latency_ms is None else latency_ms)

    @property
    def accepts_requests(self) -> bool:
        return self.state in (RegionState.UP, RegionState.SLOW) or self.answers_wrongly

    @property
    def answers_wrongly(self) -> bool:
        return self.state in ANSWER_FAULTS


@dataclass(frozen=True, slots=True)
class Submission:
    key: str
    region: str
    received_at: datetime
    siak_reference: str


@dataclass(frozen=True, slots=True)
class Recorded:
    submission: Submission


@dataclass(frozen=True, slots=True)
class Duplicate:
    submission: Submission


@dataclass(frozen=True, slots=True)
class Rejected:
    key: str
    region: str
    reason: str


@dataclass(frozen=True, slots=True)
class Unavailable:
    region: str
    condition: RegionCondition


@dataclass(frozen=True, slots=True)
class Misanswered:
    """Not recorded: the region answers submissions with the fault its state names."""

    region: str
    fault: RegionState


SubmitOutcome = Recorded | Duplicate | Rejected | Unavailable | Misanswered


class SimulatedSiak:
    """Everything the simulator remembers; lives only in process memory.

    No method awaits, so each call is atomic for handlers sharing one event loop.
    Submission bodies are never passed in, so no personal data is held here.
    """

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        # Stays monotonic across resets so a reference is never handed out twice.
        self._reference_seq = 0
        self._default = RegionCondition.of(RegionState.UP)
        self._overrides: dict[str, RegionCondition] = {}
        self._received: list[Submission] = []
        self._by_region_key: dict[tuple[str, str], Submission] = {}
        self._duplicates: dict[str, int] = {}
        self._rejects: dict[str, str] = {}

    def condition(self, region: str) -> RegionCondition:
        if region == ALL_REGIONS:
            return self._default
        _require_region_code(region)
        return self._overrides.get(region, self._default)

    def set_condition(
        self, region: str, state: RegionState, latency_ms: int | None = None
    ) -> RegionCondition:
        condition = RegionCondition.of(state, latency_ms)
        if region == ALL_REGIONS:
            self._default = condition
            self._overrides.clear()
        else:
            _require_region_code(region)
            self._overrides[region] = condition
        return condition

    def reject_keys(self, keys: Iterable[str], reason: str | None = None) -> str:
        effective = reason or DEFAULT_REJECT_REASON
        for key in keys:
            self._rejects[key] = effective
        return effective

    def submit(self, region: str, key: str) -> SubmitOutcome:
        _require_region_code(region)
        condition = self.condition(region)
        if not condition.accepts_requests:
            return Unavailable(region, condition)
        if condition.answers_wrongly:
            return Misanswered(region, condition.state)
        # Each region is its own SIAK deployment, so idempotency is scoped per region.
        # A recorded key stays a success on replay: SIAK already holds it.
        existing = self._by_region_key.get((region, key))
        if existing is not None:
            self._duplicates[region] = self._duplicates.get(region, 0) + 1
            return Duplicate(existing)
        reason = self._rejects.get(key)
        if reason is not None:
            return Rejected(key, region, reason)
        submission = Submission(
            key=key,
            region=region,
            received_at=self._clock(),
            siak_reference=self._next_reference(region),
        )
        self._received.append(submission)
        self._by_region_key[(region, key)] = submission
        return Recorded(submission)

    def received(self, region: str | None = None) -> list[Submission]:
        if region is None:
            return list(self._received)
        _require_region_code(region)
        return [item for item in self._received if item.region == region]

    def duplicates(self, region: str | None = None) -> int:
        if region is None:
            return sum(self._duplicates.values())
        _require_region_code(region)
        return self._duplicates.get(region, 0)

    def reset(self) -> None:
        self._default = RegionCondition.of(RegionState.UP)
        self._overrides.clear()
        self._received.clear()
        self._by_region_key.clear()
        self._duplicates.clear()
        self._rejects.clear()

    def _next_reference(self, region: str) -> str:
        self._reference_seq += 1
        return f"SIM-{region.replace('.', '')}-{self._reference_seq:08d}"


def _require_region_code(code: str) -> None:
    if not is_region_code(code):
        raise InvalidRegionCodeError(code)
