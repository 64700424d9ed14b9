"""Behaviour of the simulator's in-memory state without the HTTP layer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.siak_sim.state import (
    Duplicate,
    InvalidRegionCodeError,
    Recorded,
    RegionState,
    Rejected,
    SimulatedSiak,
    Unavailable,
)

FIXED_TIME = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_received_at_comes_from_the_injected_clock() -> None:
    sim = SimulatedSiak(clock=lambda: FIXED_TIME)

    outcome = sim.submit("32.73", "key-1")

    assert isinstance(outcome, Recorded)
    assert outcome.submission.received_at == FIXED_TIME


def test_references_are_never_reused_across_resets() -> None:
    sim = SimulatedSiak()
    before = sim.submit("32.73", "key-1")

    sim.reset()
    after = sim.submit("32.73", "key-1")

    assert isinstance(before, Recorded)
    assert isinstance(after, Recorded)
    assert before.submission.siak_reference != after.submission.siak_reference


def test_outcomes_follow_availability_then_idempotency_then_rejects() -> None:
    sim = SimulatedSiak()
    sim.reject_keys(["bad-1"], "NIK tidak valid")

    assert isinstance(sim.submit("32.73", "key-1"), Recorded)
    assert isinstance(sim.submit("32.73", "key-1"), Duplicate)
    assert sim.submit("32.73", "bad-1") == Rejected("bad-1", "32.73", "NIK tidak valid")
    sim.set_condition("32.73", RegionState.DOWN)
    assert isinstance(sim.submit("32.73", "key-1"), Unavailable)
    assert sim.duplicates("32.73") == 1


@pytest.mark.parametrize("code", ["3273", "32.73\n", "", "*"])
def test_malformed_region_codes_are_refused(code: str) -> None:
    sim = SimulatedSiak()

    with pytest.raises(InvalidRegionCodeError):
        sim.submit(code, "key-1")
