"""A SIAK outage travels from the simulator through siak_monitor and Kafka to queue_gate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from deploy.local.stack import Stack
from tests.support.polling import eventually

pytestmark = pytest.mark.e2e


async def test_gate_follows_siak_going_down_and_coming_back(system: Stack) -> None:
    env = system.environment()
    async with httpx.AsyncClient(timeout=5) as http:

        async def gate_shows(status: str, *gate_states: str) -> dict[str, Any] | None:
            response = await http.get(f"{env['GATE_URL']}/v1/regions/73.71")
            body: dict[str, Any] = response.json()
            seen = body["siak_status"] == status and body["gate_state"] in gate_states
            return body if seen else None

        # Back from an outage a gate first recovers (canaries, then a ramp): it lets
        # submissions through either way.
        passing = ("open", "recovering")
        await eventually(lambda: gate_shows("UP", *passing), within=60, what="Makassar open")

        await http.put(f"{env['SIAK_SIM_URL']}/_control/regions/73.71", json={"state": "down"})
        closed = await eventually(
            lambda: gate_shows("DOWN", "closed"), within=30, what="Makassar closed"
        )

        await http.put(f"{env['SIAK_SIM_URL']}/_control/regions/73.71", json={"state": "up"})
        await eventually(lambda: gate_shows("UP", *passing), within=30, what="Makassar reopened")

        async def monitor_told_up() -> bool:
            # The monitor records a status's seq once its publication returns, which the
            # gate may have read already.
            view = (await http.get(f"{env['MONITOR_URL']}/v1/regions/73.71")).json()
            return bool(view["status"] == "UP" and view["seq"] >= 3)

        async def other_region_up() -> bool:
            # Its own record, maybe in another partition: Makassar's says nothing of it.
            view = (await http.get(f"{env['GATE_URL']}/v1/regions/73.01")).json()
            return bool(view["siak_status"] == "UP")

        await eventually(monitor_told_up, within=30, what="the monitor's view UP with seq >= 3")
        await eventually(other_region_up, within=30, what="another region UP at the gate")
    assert closed["name"] == "Kota Makassar"
