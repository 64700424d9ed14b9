"""Gate events tell the whole story: closed, recovering, open, whatever moved the gate, once."""

from __future__ import annotations

from datetime import timedelta

from services.queue_gate.dispatching import RegionDispatcher
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import next_told
from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.gate_board import GateBoard
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.handlers.status_updates import record_status_change
from shared.events import SiakStatus
from tests.unit.queue_gate.fakes import FakeLease, FakePorts, status_change

MAKASSAR = "73.71"
STALE_AFTER = timedelta(minutes=1)
POLICY = GatePolicy(
    stale_after=STALE_AFTER, degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)
PACING = PacingConfig(
    canary_count=1, initial_rate=2.0, max_rate=8.0, ramp_interval=timedelta(seconds=10)
)
CLOSED, RECOVERING, OPEN = GateState.CLOSED, GateState.RECOVERING, GateState.OPEN


async def record(ports: FakePorts, status: SiakStatus, *, seq: int) -> None:
    await record_status_change(
        status_change(MAKASSAR, status, seq=seq, reason="http_503" if status != "UP" else None),
        store=ports.statuses,
        announcer=ports.announcer,
        policy=POLICY,
        now=ports.clock(),
    )


def told(ports: FakePorts) -> list[tuple[str | None, str, str | None]]:
    return [(e.previous_gate_state, e.gate_state, e.cause) for e in ports.announcer.announced]


def board(ports: FakePorts) -> GateBoard:
    return GateBoard(
        ports.statuses, ports.controls, POLICY, announcer=ports.announcer, clock=ports.clock
    )


def test_each_state_is_told_in_order_and_only_when_it_is_news() -> None:
    assert next_told(None, CLOSED) is None
    assert next_told(None, RECOVERING) is RECOVERING
    assert next_told(RECOVERING, RECOVERING) is None
    assert next_told(RECOVERING, OPEN) is OPEN
    assert next_told(OPEN, RECOVERING) is None
    assert next_told(OPEN, CLOSED) is CLOSED
    assert next_told(CLOSED, OPEN) is None  # a gate opens only after recovering


async def test_a_status_gone_stale_closes_the_gate_once_whichever_replica_sees_it() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.UP, seq=1)
    replicas = [board(ports), board(ports)]
    for replica in replicas:
        await replica.reload()

    ports.clock.advance(STALE_AFTER + timedelta(seconds=1))
    for replica in replicas:
        await replica.reload()
        await replica.reload()

    assert told(ports) == [
        ("closed", "recovering", "siak_status"),
        ("recovering", "closed", "stale"),
    ]
    [closing] = ports.announcer.announced[1:]
    assert closing.siak_status is SiakStatus.UNKNOWN


async def test_an_operators_override_closes_and_reopens_the_gate_with_its_cause() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.UP, seq=1)
    gates = board(ports)

    await ports.control(MAKASSAR, RegionControl(override=Override.FORCE_CLOSED, reason="audit"))
    await gates.reload()
    await ports.control(MAKASSAR, RegionControl())
    await gates.reload()

    assert told(ports) == [
        ("closed", "recovering", "siak_status"),
        ("recovering", "closed", "operator_override"),
        ("closed", "recovering", "siak_status"),
    ]


async def test_the_gate_is_told_open_once_its_replay_reaches_full_rate() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.DOWN, seq=1)
    for serial in range(80):
        await ports.waiting(MAKASSAR, f"warga-{serial}")
    await record(ports, SiakStatus.UP, seq=2)
    deps = ports.dispatch_deps(POLICY, PACING, idle_timeout=timedelta(minutes=5))
    dispatcher = RegionDispatcher(MAKASSAR, deps, FakeLease(MAKASSAR))

    while (wait := await dispatcher.step()) is not None:
        ports.clock.advance(wait)

    assert len(ports.siak.sent) == 80
    assert told(ports) == [
        ("closed", "recovering", "siak_status"),
        ("recovering", "open", "replay_at_full_rate"),
    ]
