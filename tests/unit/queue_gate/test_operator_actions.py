"""What operators do, on fakes: changes made at the same time by two operators."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from services.queue_gate.handlers.operator_actions import change_region_control
from services.queue_gate.handlers.region_gate import GatePolicy, StoredGates
from tests.unit.queue_gate.fakes import FakeClock, FakePorts, FakeRegionControlStore

POLICY = GatePolicy(
    stale_after=timedelta(minutes=1), degraded_is_open=False, default_intake_mode=IntakeMode.DEFER
)


class ReadsHeldUntilBothRead(FakeRegionControlStore):
    """Two requests (on two replicas, say) whose reads both come before either write."""

    def __init__(self) -> None:
        super().__init__(FakeClock())
        self._reads = 0
        self._both_read = asyncio.Event()

    async def get(self, region_code: str) -> RegionControl:
        control = await super().get(region_code)
        self._reads += 1
        if self._reads == 2:
            self._both_read.set()
        await self._both_read.wait()
        return control


async def test_a_force_close_is_not_undone_by_a_concurrent_change_of_the_ceiling() -> None:
    controls = ReadsHeldUntilBothRead()
    gates = StoredGates(FakePorts().statuses, controls, POLICY)

    await asyncio.gather(
        change_region_control(
            "73.71",
            {"override": Override.FORCE_CLOSED},
            reason="SIAK data migration",
            actor="ani",
            controls=controls,
            gates=gates,
        ),
        change_region_control(
            "73.71",
            {"max_rate": 5.0},
            reason="gentler replay",
            actor="budi",
            controls=controls,
            gates=gates,
        ),
    )

    final = await FakeRegionControlStore.get(controls, "73.71")
    assert (final.override, final.max_rate) == (Override.FORCE_CLOSED, 5.0)
    assert [c.changed_by for _, c in controls.history] == ["ani", "budi"]
