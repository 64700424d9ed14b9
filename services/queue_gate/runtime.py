"""What a running gate holds, assembled once by `bootstrap` and handed to its entrypoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.queue_gate.dispatch_supervisor import DispatchSupervisor
from services.queue_gate.dispatching import DispatchDeps
from services.queue_gate.domain.gate import GateState
from services.queue_gate.handlers.intake import IntakeDeps
from services.queue_gate.handlers.region_gate import GateReader, RegionGate
from services.queue_gate.handlers.tickets import Pace, assumed_pace
from services.queue_gate.settings import GateSettings


@dataclass
class GateRuntime:
    settings: GateSettings
    intake: IntakeDeps
    dispatch: DispatchDeps
    supervisor: DispatchSupervisor
    clock: Callable[[], datetime]
    ready: bool = False

    @property
    def gates(self) -> GateReader:
        return self.intake.gates

    async def region_gate(self, region_code: str) -> RegionGate:
        return await self.gates.gate(region_code, self.clock())

    def pace(self, gate: RegionGate) -> Pace:
        dispatcher = self.supervisor.active.get(gate.region_code)
        if dispatcher is None or not gate.lets_through:
            return assumed_pace(gate, self.dispatch.pacing)
        pacer = dispatcher.pacer
        state = pacer.state if pacer.state is not GateState.CLOSED else GateState.RECOVERING
        return Pace(state, pacer.rate, pacer.canaries_remaining)
