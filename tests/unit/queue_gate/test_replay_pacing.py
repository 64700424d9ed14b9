"""Gentle recovery: canaries one at a time, then a doubling ramp up to the maximum rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.replay_pacing import PacingConfig, ReplayPacer
from services.queue_gate.domain.token_bucket import NoAllowanceError
from shared.events import SiakStatus

BACK_UP = datetime(2021, 10, 19, 1, 0, tzinfo=UTC)
CONFIG = PacingConfig(
    canary_count=3, initial_rate=2.0, max_rate=16.0, ramp_interval=timedelta(seconds=10)
)


def seconds(amount: float) -> timedelta:
    return timedelta(seconds=amount)


def recovering_pacer(config: PacingConfig = CONFIG) -> ReplayPacer:
    pacer = ReplayPacer(config, now=BACK_UP - seconds(60))
    pacer.on_status(SiakStatus.UP, BACK_UP)
    return pacer


def pass_canaries(pacer: ReplayPacer, now: datetime) -> datetime:
    for _ in range(pacer.config.canary_count):
        now = pacer.next_allowed_at(now) or now
        pacer.take(now)
        pacer.on_siak_answered(now)
    return now


def test_a_new_pacer_is_closed_and_sends_nothing() -> None:
    pacer = ReplayPacer(CONFIG, now=BACK_UP)

    assert pacer.state is GateState.CLOSED
    assert pacer.allowance(BACK_UP + seconds(3600)) == 0
    assert pacer.next_allowed_at(BACK_UP) is None
    with pytest.raises(NoAllowanceError):
        pacer.take(BACK_UP)


def test_coming_back_up_starts_with_canaries_one_at_a_time() -> None:
    pacer = recovering_pacer()

    assert pacer.state is GateState.RECOVERING
    assert pacer.canaries_remaining == 3
    assert pacer.allowance(BACK_UP) == 1
    pacer.take(BACK_UP)

    assert pacer.allowance(BACK_UP + seconds(3600)) == 0
    assert pacer.next_allowed_at(BACK_UP) is None


def test_the_ramp_starts_only_once_every_canary_was_answered() -> None:
    pacer = recovering_pacer()
    now = BACK_UP
    for remaining in (3, 2, 1):
        assert pacer.canaries_remaining == remaining
        now = pacer.next_allowed_at(now) or now
        pacer.take(now)
        pacer.on_siak_answered(now)

    assert pacer.canaries_remaining == 0
    assert pacer.rate == CONFIG.initial_rate
    later = pacer.next_allowed_at(now) or now
    pacer.take(later)
    assert pacer.allowance(later + seconds(0.5)) == 1, "no answer needed once ramping"


def test_the_rate_doubles_each_answered_interval_until_the_gate_opens() -> None:
    pacer = recovering_pacer()
    now = pass_canaries(pacer, BACK_UP)
    rates = [pacer.rate]
    while pacer.state is GateState.RECOVERING:
        now += CONFIG.ramp_interval
        pacer.on_siak_answered(now)
        rates.append(pacer.rate)

    assert rates == [2.0, 4.0, 8.0, 16.0]
    assert pacer.state is GateState.OPEN


def test_the_ramp_goes_on_after_the_clock_is_set_back() -> None:
    pacer = recovering_pacer()
    now = pass_canaries(pacer, BACK_UP) - timedelta(hours=1)  # an NTP step back

    pacer.on_siak_answered(now)
    pacer.on_siak_answered(now + CONFIG.ramp_interval)

    assert pacer.rate == 2 * CONFIG.initial_rate


def test_answers_within_an_interval_do_not_raise_the_rate() -> None:
    pacer = recovering_pacer()
    now = pass_canaries(pacer, BACK_UP)

    pacer.on_siak_answered(now + CONFIG.ramp_interval - seconds(0.1))

    assert pacer.rate == CONFIG.initial_rate


def test_a_failed_canary_starts_the_canaries_over() -> None:
    pacer = recovering_pacer()
    pacer.take(BACK_UP)
    pacer.on_siak_answered(BACK_UP)
    pacer.take(BACK_UP + seconds(1))

    pacer.on_transient_failure(BACK_UP + seconds(2))

    assert pacer.canaries_remaining == 3
    assert pacer.state is GateState.RECOVERING


def test_a_failure_while_ramping_halves_the_rate_and_below_the_start_returns_to_canaries() -> None:
    pacer = recovering_pacer()
    now = pass_canaries(pacer, BACK_UP)
    for _ in range(3):
        now += CONFIG.ramp_interval
        pacer.on_siak_answered(now)
    assert pacer.state is GateState.OPEN

    pacer.on_transient_failure(now)
    assert (pacer.state, pacer.rate) == (GateState.RECOVERING, 8.0)
    pacer.on_transient_failure(now)
    pacer.on_transient_failure(now)
    assert (pacer.rate, pacer.canaries_remaining) == (2.0, 0)
    pacer.on_transient_failure(now)
    assert pacer.canaries_remaining == 3


def test_going_down_during_recovery_closes_the_gate_at_once() -> None:
    pacer = recovering_pacer()
    now = pass_canaries(pacer, BACK_UP)

    pacer.on_status(SiakStatus.DOWN, now)

    assert pacer.state is GateState.CLOSED
    assert pacer.allowance(now + seconds(60)) == 0
    pacer.on_siak_answered(now)
    assert pacer.state is GateState.CLOSED


def test_a_lower_maximum_applies_at_once_a_higher_one_by_the_ramp() -> None:
    pacer = recovering_pacer(PacingConfig(canary_count=0, initial_rate=4.0, max_rate=4.0))
    assert pacer.state is GateState.OPEN

    pacer.set_max_rate(1.0, BACK_UP)
    assert (pacer.rate, pacer.state) == (1.0, GateState.OPEN)
    pacer.set_max_rate(8.0, BACK_UP)
    assert (pacer.rate, pacer.state) == (1.0, GateState.RECOVERING)


def test_what_may_go_over_a_horizon_is_nothing_while_closed_and_one_canary_at_a_time() -> None:
    closed = ReplayPacer(CONFIG, now=BACK_UP)
    recovering = recovering_pacer()

    assert closed.sends_within(seconds(10), BACK_UP) == 0
    assert recovering.sends_within(seconds(10), BACK_UP) == 1


def test_what_may_go_over_a_horizon_adds_the_rate_to_what_may_go_now() -> None:
    pacer = recovering_pacer()
    now = pass_canaries(pacer, BACK_UP)
    allowance = pacer.allowance(now)

    assert pacer.rate == CONFIG.initial_rate
    assert pacer.sends_within(seconds(3), now) == allowance + 6
    assert pacer.sends_within(seconds(0), now) == allowance


def test_a_wall_clock_stepped_forward_sends_siak_no_second_burst() -> None:
    """The pace's tokens refill on a clock that never steps (`time.monotonic` in the gate)."""
    config = PacingConfig(canary_count=0, initial_rate=1.0, max_rate=1.0, burst=3)
    steady = [0.0]
    pacer = ReplayPacer(config, now=BACK_UP, steady=lambda: steady[0])
    pacer.on_status(SiakStatus.UP, BACK_UP)
    for _ in range(3):
        pacer.take(BACK_UP)
    stepped = BACK_UP + seconds(3600)

    assert pacer.allowance(stepped) == 0
    assert pacer.next_allowed_at(stepped) == stepped + seconds(1)
    steady[0] += 1
    assert pacer.allowance(stepped) == 1


def test_a_wall_clock_stepped_forward_brings_no_early_doubling() -> None:
    """The ramp times its interval on the clock that never steps, as the tokens do: an NTP
    step forward of an hour is no interval passed."""
    config = PacingConfig(
        canary_count=0, initial_rate=2.0, max_rate=16.0, ramp_interval=seconds(10)
    )
    steady = [0.0]
    pacer = ReplayPacer(config, now=BACK_UP, steady=lambda: steady[0])
    pacer.on_status(SiakStatus.UP, BACK_UP)
    stepped = BACK_UP + timedelta(hours=1)

    pacer.on_siak_answered(stepped)
    assert pacer.rate == config.initial_rate
    steady[0] += config.ramp_interval.total_seconds()
    pacer.on_siak_answered(stepped)
    assert pacer.rate == 2 * config.initial_rate
