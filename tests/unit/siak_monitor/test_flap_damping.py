"""The success run a flapping region needs: escalating, bounded and decaying."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.siak_monitor.domain.flap_damping import FlapDamping
from tests.unit.siak_monitor.builders import START

WINDOW = timedelta(minutes=30)

# Each step: seconds since the previous step, and whether the region recovered or went down.
steps = st.lists(st.tuples(st.integers(0, 3600), st.booleans()), max_size=60)


def damping(success_run: int = 2, max_success_run: int = 16) -> FlapDamping:
    return FlapDamping(success_run=success_run, max_success_run=max_success_run, window=WINDOW)


def test_each_recent_flap_doubles_the_required_run() -> None:
    flaps = damping()
    for minute in range(3):
        flaps.note_recovery(START + timedelta(minutes=minute))
        flaps.note_outage(START + timedelta(minutes=minute, seconds=30))

    assert flaps.recent_flaps(START + timedelta(minutes=3)) == 3
    assert flaps.required_success_run(START + timedelta(minutes=3)) == 16


def test_an_outage_without_an_earlier_recovery_is_not_a_flap() -> None:
    flaps = damping()

    flaps.note_outage(START)

    assert flaps.required_success_run(START) == 2


def test_refuses_a_bound_below_the_plain_run() -> None:
    with pytest.raises(ValueError, match="max_success_run"):
        damping(success_run=4, max_success_run=2)


@given(
    steps=steps,
    success_run=st.integers(1, 5),
    extra=st.integers(0, 40),
)
def test_required_run_never_exceeds_the_bound(
    steps: list[tuple[int, bool]], success_run: int, extra: int
) -> None:
    flaps = damping(success_run, success_run + extra)
    at = START
    for seconds, recovered in steps:
        at += timedelta(seconds=seconds)
        (flaps.note_recovery if recovered else flaps.note_outage)(at)
        assert success_run <= flaps.required_success_run(at) <= success_run + extra


@given(steps=steps)
def test_required_run_decays_to_the_plain_run_one_window_after_the_last_flap(
    steps: list[tuple[int, bool]],
) -> None:
    flaps = damping()
    at = START
    for seconds, recovered in steps:
        at += timedelta(seconds=seconds)
        (flaps.note_recovery if recovered else flaps.note_outage)(at)

    assert flaps.required_success_run(at + WINDOW) == 2
