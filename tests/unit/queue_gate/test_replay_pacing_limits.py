"""Pacing under any sequence of answers, failures and status changes stays within its limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.queue_gate.domain.replay_pacing import PacingConfig, ReplayPacer
from shared.events import SiakStatus

BACK_UP = datetime(2021, 10, 19, 1, 0, tzinfo=UTC)


def seconds(amount: float) -> timedelta:
    return timedelta(seconds=amount)


events = st.lists(
    st.tuples(
        st.floats(min_value=0.0, max_value=20.0),
        st.sampled_from(["answered", "answered", "answered", "transient", "down", "up"]),
    ),
    max_size=60,
)


@given(events, st.integers(1, 3))
def test_pacing_never_exceeds_the_maximum_rate_and_canaries_come_first(
    script: list[tuple[float, str]], burst: int
) -> None:
    config = PacingConfig(
        canary_count=3, initial_rate=1.0, max_rate=8.0, ramp_interval=seconds(5), burst=burst
    )
    pacer = ReplayPacer(config, now=BACK_UP)
    pacer.on_status(SiakStatus.UP, BACK_UP)
    now = BACK_UP
    sent_at: list[datetime] = []
    for wait, news in script:
        now += seconds(wait)
        canary_phase = pacer.canaries_remaining > 0
        allowed = pacer.allowance(now)
        assert allowed <= (1 if canary_phase else burst)
        for _ in range(allowed):
            pacer.take(now)
            sent_at.append(now)
        if canary_phase and allowed:
            assert pacer.allowance(now + seconds(3600)) == 0, "a canary waits for its answer"
        {
            "answered": pacer.on_siak_answered,
            "transient": pacer.on_transient_failure,
            "down": pacer.on_region_down,
            "up": pacer.on_region_up,
        }[news](now)
        assert pacer.rate <= config.max_rate

    for first, start in enumerate(sent_at):
        for last in range(first, len(sent_at)):
            window = (sent_at[last] - start).total_seconds()
            assert last - first + 1 <= burst + config.max_rate * window + 1e-6
