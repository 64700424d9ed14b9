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

        monitor_view = (await http.get(f"{env['MONITOR_URL']}/v1/regions/73.71")).json()
        other_region = (await http.get(f"{env['GATE_URL']}/v1/regions/73.01")).json()
    assert closed["name"] == "Kota Makassar"
    assert monitor_view["status"] == "UP" and monitor_view["seq"] >= 3
    assert other_region["siak_status"] == "UP"
