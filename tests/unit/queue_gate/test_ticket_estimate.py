"""The estimate a citizen's ticket gets follows the region's own rate cap, not only the gate's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.region_gate import IntakeMode, RegionControl
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.handlers.region_gate import RegionGate
from services.queue_gate.handlers.tickets import Pace, assumed_pace, estimate_with
from shared.events import SiakStatus

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PACING = PacingConfig(canary_count=3, initial_rate=2.0, max_rate=20.0)
MAKASSAR_AT_ONE_A_SECOND = RegionGate(
    region_code="73.71",
    status=SiakStatus.UP,
    known=None,
    control=RegionControl(max_rate=1.0, reason="SIAK Makassar lambat", changed_by="ani"),
    lets_through=True,
    intake_mode=IntakeMode.DEFER,
)


def test_a_region_without_its_dispatcher_here_is_assumed_at_its_own_cap() -> None:
    pace = assumed_pace(MAKASSAR_AT_ONE_A_SECOND, PACING)

    assert pace == Pace(GateState.OPEN, 1.0, 0)


def test_ten_thousand_ahead_at_one_a_second_take_hours_not_minutes() -> None:
    pace = assumed_pace(MAKASSAR_AT_ONE_A_SECOND, PACING)

    estimate = estimate_with(
        9_999, gate=MAKASSAR_AT_ONE_A_SECOND, pace=pace, pacing=PACING, now=NOW
    )

    assert estimate.estimated_delivery_at == NOW + timedelta(seconds=10_000)


def test_a_dispatcher_ramping_up_here_climbs_no_higher_than_the_regions_cap() -> None:
    ramping = Pace(GateState.RECOVERING, 0.5, 0)

    estimate = estimate_with(
        9_999, gate=MAKASSAR_AT_ONE_A_SECOND, pace=ramping, pacing=PACING, now=NOW
    )

    # 30 s at 0.5/s, then the rest at the cap of 1/s
    assert estimate.estimated_delivery_at == NOW + timedelta(seconds=30 + 9_985)
