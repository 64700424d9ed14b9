"""Whether a region's gate lets submissions through to SIAK."""

from __future__ import annotations

from enum import StrEnum

from shared.events import SiakStatus


class GateState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    RECOVERING = "recovering"


def gate_state_for(status: SiakStatus | None, *, degraded_is_open: bool = True) -> GateState:
    """Fail safe: only a known UP (or DEGRADED, when so configured) opens the gate."""
    if status == SiakStatus.UP:
        return GateState.OPEN
    if status == SiakStatus.DEGRADED and degraded_is_open:
        return GateState.OPEN
    return GateState.CLOSED
