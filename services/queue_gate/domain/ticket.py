"""A submission's life cycle from acceptance to SIAK, and its unguessable ticket id."""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable, Mapping
from enum import StrEnum

from services.queue_gate.domain.gate import GateState

TICKET_ID_PREFIX = "tkt_"
TICKET_ID_RANDOM_BYTES = 16
_TICKET_ID = re.compile(r"tkt_[A-Za-z0-9_-]{22}")


class SubmissionState(StrEnum):
    QUEUED = "queued"
    DEFERRED = "deferred"
    DISPATCHING = "dispatching"
    DELIVERED = "delivered"
    PARKED = "parked"
    CANCELLED = "cancelled"


_S = SubmissionState

ALLOWED_TRANSITIONS: Mapping[SubmissionState, frozenset[SubmissionState]] = {
    # A queued submission whose gate closes before its turn waits as deferred.
    _S.QUEUED: frozenset({_S.DISPATCHING, _S.DEFERRED, _S.CANCELLED}),
    _S.DEFERRED: frozenset({_S.DISPATCHING, _S.CANCELLED}),
    # A transient failure puts it back in line, at the head it had.
    _S.DISPATCHING: frozenset({_S.DELIVERED, _S.PARKED, _S.QUEUED, _S.DEFERRED}),
    # An operator retries a parked submission (back in line) or cancels it.
    _S.PARKED: frozenset({_S.QUEUED, _S.CANCELLED}),
    _S.DELIVERED: frozenset(),
    _S.CANCELLED: frozenset(),
}

WAITING_STATES = frozenset({_S.QUEUED, _S.DEFERRED, _S.DISPATCHING})
FINAL_STATES = frozenset({_S.DELIVERED, _S.CANCELLED})


class IllegalTransitionError(ValueError):
    def __init__(self, current: SubmissionState, target: SubmissionState) -> None:
        self.current = current
        self.target = target
        super().__init__(f"a {current} submission cannot become {target}")


def transition(current: SubmissionState, target: SubmissionState) -> SubmissionState:
    """The target state, when the life cycle allows moving there from `current`."""
    if target not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransitionError(current, target)
    return target


def state_on_acceptance(gate_state: GateState) -> SubmissionState:
    """Deferred when accepted behind a closed gate; otherwise queued for dispatch."""
    return _S.DEFERRED if gate_state is GateState.CLOSED else _S.QUEUED


def new_ticket_id(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """`tkt_` and 128 random bits in URL-safe base64; pass `random_bytes` to make it repeatable."""
    raw = random_bytes(TICKET_ID_RANDOM_BYTES)
    if len(raw) != TICKET_ID_RANDOM_BYTES:
        raise ValueError(f"a ticket id needs {TICKET_ID_RANDOM_BYTES} random bytes")
    token = base64.urlsafe_b64encode(raw).rstrip(b"=")
    return TICKET_ID_PREFIX + token.decode("ascii")


def is_ticket_id(text: str) -> bool:
    return _TICKET_ID.fullmatch(text) is not None
