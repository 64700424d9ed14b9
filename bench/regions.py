"""Which regions each measurement uses, kept apart so one item never disturbs another."""

from __future__ import annotations

from dataclasses import dataclass

from shared.regions import load_registry

WATCHED_PROVINCE = "73"
"""The local stack's monitor watches this province; the bench leaves its regions alone."""
PROPAGATION_REGION = "74.71"


@dataclass(frozen=True)
class RegionPlan:
    intake: tuple[str, ...]
    """Every region outside the watched province but the propagation one: intake spreads here."""
    replay: tuple[str, ...]
    background: tuple[str, ...]
    """Regions that stay closed and hold the extra backlog of the national-scale item."""
    propagation: str = PROPAGATION_REGION


def plan_regions(replay_count: int) -> RegionPlan:
    usable = [
        region.code
        for region in load_registry()
        if region.province_code != WATCHED_PROVINCE and region.code != PROPAGATION_REGION
    ]
    step = max(1, len(usable) // replay_count)
    replay = tuple(usable[::step][:replay_count])
    chosen = set(replay)
    background = tuple(code for code in usable if code not in chosen)
    return RegionPlan(intake=tuple(usable), replay=replay, background=background)


def all_region_codes() -> list[str]:
    return [region.code for region in load_registry()]
