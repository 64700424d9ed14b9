"""Queue position and estimated delivery from the line ahead, the rate and the expected return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.queue_gate.domain.eta import DeliveryEstimate, estimate_delivery, seconds_to_send
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.replay_pacing import PacingConfig

NOW = datetime(2021, 10, 15, 9, 0, tzinfo=UTC)
# Maintenance announced to end on Tuesday morning, WITA.
EXPECTED_RETURN = datetime(2021, 10, 19, 0, 0, tzinfo=UTC)
PACING = PacingConfig(
    canary_count=3, initial_rate=2.0, max_rate=8.0, ramp_interval=timedelta(seconds=10)
)


def estimate(
    ahead: int | None,
    gate_state: GateState,
    *,
    rate: float = 8.0,
    canaries_remaining: int = 0,
    expected_return_at: datetime | None = None,
) -> DeliveryEstimate:
    return estimate_delivery(
        submissions_ahead=ahead,
        now=NOW,
        gate_state=gate_state,
        rate=rate,
        canaries_remaining=canaries_remaining,
        expected_return_at=expected_return_at,
        pacing=PACING,
    )


def test_an_open_gate_delivers_the_line_ahead_at_the_current_rate() -> None:
    result = estimate(79, GateState.OPEN, rate=8.0)

    assert result == DeliveryEstimate(
        queue_position=79, estimated_delivery_at=NOW + timedelta(seconds=10)
    )


def test_a_closed_gate_without_an_expected_return_gives_a_position_but_no_time() -> None:
    assert estimate(4, GateState.CLOSED) == DeliveryEstimate(4, None)


def test_a_closed_gate_whose_expected_return_has_passed_gives_no_time() -> None:
    assert estimate(4, GateState.CLOSED, expected_return_at=NOW - timedelta(minutes=1)) == (
        DeliveryEstimate(4, None)
    )


def test_a_closed_gate_counts_from_the_expected_return_through_canaries_and_ramp() -> None:
    result = estimate(3 + 20 + 40 + 7, GateState.CLOSED, expected_return_at=EXPECTED_RETURN)

    # 3 canaries at 2/s, 20 at 2/s, 40 at 4/s, then 8 at the maximum of 8/s.
    assert result.queue_position == 70
    assert result.estimated_delivery_at == EXPECTED_RETURN + timedelta(seconds=1.5 + 10 + 10 + 1)


def test_held_behind_a_parked_submission_there_is_neither_position_nor_time() -> None:
    assert estimate(None, GateState.OPEN) == DeliveryEstimate(None, None)


def test_paused_replay_gives_no_time() -> None:
    assert estimate(0, GateState.RECOVERING, rate=0.0) == DeliveryEstimate(0, None)


def test_recovering_counts_the_remaining_canaries_then_the_ramp_from_the_current_rate() -> None:
    assert seconds_to_send(2, rate=2.0, canaries=2, pacing=PACING) == 1.0
    assert seconds_to_send(4 * 10 + 8, rate=4.0, canaries=0, pacing=PACING) == 11.0


@given(st.integers(0, 100_000), st.integers(0, 100_000), st.sampled_from(list(GateState)))
def test_more_submissions_ahead_never_mean_an_earlier_delivery(
    fewer: int, extra: int, gate_state: GateState
) -> None:
    sooner = estimate(fewer, gate_state, rate=2.0, expected_return_at=EXPECTED_RETURN)
    later = estimate(fewer + extra, gate_state, rate=2.0, expected_return_at=EXPECTED_RETURN)

    assert sooner.estimated_delivery_at is not None
    assert later.estimated_delivery_at is not None
    assert sooner.estimated_delivery_at <= later.estimated_delivery_at


def test_a_region_capped_below_the_configured_maximum_ramps_no_higher_than_its_cap() -> None:
    capped = PACING.with_max_rate(1.0)

    assert (capped.max_rate, capped.initial_rate) == (1.0, 1.0)
    assert seconds_to_send(10_000, rate=1.0, canaries=0, pacing=capped) == 10_000


def test_an_estimate_beyond_any_calendar_is_no_time_rather_than_an_overflow() -> None:
    """A ceiling stored before rates had a lower bound: the estimate must still answer."""
    crawling = PACING.with_max_rate(1e-300)
    for gate_state in (GateState.RECOVERING, GateState.CLOSED):
        estimated = estimate_delivery(
            submissions_ahead=3,
            now=NOW,
            gate_state=gate_state,
            rate=1e-300,
            canaries_remaining=0,
            expected_return_at=EXPECTED_RETURN,
            pacing=crawling,
        )

        assert estimated == DeliveryEstimate(queue_position=3, estimated_delivery_at=None)
