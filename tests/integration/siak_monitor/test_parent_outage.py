"""A central outage is published once, as the root cause, not as one alarm per region."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.siak_monitor.settings import ParentTarget
from shared import topics
from shared.events import CentralStatusChanged, SiakStatus, StatusChanged
from shared.regions import select_regions
from tests.integration.siak_monitor.conftest import (
    Simulator,
    monitor_settings,
    running_monitor,
    topic_events,
)
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

UP, DOWN = SiakStatus.UP, SiakStatus.DOWN
# The simulator answers for any code; this one stands for the central data centre.
CENTRAL_CODE = "99.99"


async def test_parent_outage_is_one_central_event_and_children_point_at_it(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    children = [region.code for region in select_regions("32")]
    central = ParentTarget(
        name=f"central-{uuid.uuid4().hex[:8]}", url=simulator.health_url(CENTRAL_CODE)
    )
    settings = monitor_settings(bootstrap_servers, simulator, "32", parent=central)

    def each_child(events: list[StatusChanged], expected: list[SiakStatus]) -> bool:
        by_region: dict[str, list[SiakStatus]] = {}
        for event in events:
            by_region.setdefault(event.region_code, []).append(event.status)
        return all(by_region.get(code) == expected for code in children)

    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, children) as status,
        topic_events(
            bootstrap_servers, topics.SIAK_CENTRAL_STATUS, CentralStatusChanged, [central.name]
        ) as root_causes,
        running_monitor(settings) as monitor,
    ):
        await status.until(lambda e: each_child(e, [UP]), what="every child UP")
        await root_causes.until(lambda e: [c.status for c in e] == [UP], what="central UP")
        await simulator.set(CENTRAL_CODE, "down")
        await status.until(lambda e: each_child(e, [UP, DOWN]), what="every child DOWN")

        async def parent_told_down() -> dict[str, Any] | None:
            # Its seq is the one published, recorded once the publisher's batch returns:
            # a reader may see the batch on the topic a moment before.
            view: dict[str, Any] = (await monitor.http.get(f"{monitor.url}/v1/parent")).json()
            return view if (view["status"], view["seq"]) == ("DOWN", 2) else None

        parent_view = await eventually(parent_told_down, what="the parent's view DOWN, seq 2")
        await simulator.set(CENTRAL_CODE, "up")
        published = await status.until(lambda e: each_child(e, [UP, DOWN, UP]), what="all back")
        causes = await root_causes.until(
            lambda e: [c.status for c in e] == [UP, DOWN, UP], what="central back UP"
        )

    outage = causes[1]
    assert (outage.reason, outage.seq, outage.affected_regions) == ("http_503", 2, len(children))
    assert {e.reason for e in published if e.status == DOWN} == {"parent_down"}
    assert (parent_view["status"], parent_view["seq"]) == ("DOWN", 2)
