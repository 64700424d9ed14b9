"""What subscribers are told of a region's gate: each change once, and what brought it about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.queue_gate.domain.gate import GateState
from shared.events import SiakStatus
from shared.events.gate import GateCause, GateStateChanged


@dataclass(frozen=True)
class GateSighting:
    """A gate as someone saw it: CLOSED when it lets nothing through, RECOVERING when it
    does (canaries, then a ramp), OPEN once its replay reached full rate."""

    region_code: str
    seen: GateState
    siak_status: SiakStatus
    cause: GateCause
    reason: str | None
    at: datetime


def next_told(told: GateState | None, seen: GateState) -> GateState | None:
    """The state to tell subscribers after `told`, or None when there is no news; a gate
    never told of counts as closed. Closed, recovering, open, in that order: a gate opens
    only after recovering, and whatever closes it closes it once."""
    last = told or GateState.CLOSED
    if seen is GateState.CLOSED:
        return None if last is GateState.CLOSED else GateState.CLOSED
    if seen is GateState.RECOVERING:
        return GateState.RECOVERING if last is GateState.CLOSED else None
    return GateState.OPEN if last is GateState.RECOVERING else None


def gate_news(told: GateState | None, sighting: GateSighting) -> GateStateChanged | None:
    state = next_told(told, sighting.seen)
    if state is None:
        return None
    return GateStateChanged(
        region_code=sighting.region_code,
        gate_state=state.value,
        previous_gate_state=(told or GateState.CLOSED).value,
        siak_status=sighting.siak_status,
        cause=sighting.cause,
        reason=sighting.reason,
        at=sighting.at,
    )
