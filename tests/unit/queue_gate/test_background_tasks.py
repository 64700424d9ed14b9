"""Every background task of the gate runs supervised: killed, it comes back, and is counted."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.queue_gate.gate_board import GateBoard
from shared import topics
from shared.events import SiakStatus, encode_event, new_event
from shared.supervision import TaskFactory
from tests.support.polling import eventually
from tests.unit.queue_gate.fake_gate import FakeGate, running_gate, tamper_with_task
from tests.unit.queue_gate.fakes import status_change
from tests.unit.queue_gate.test_status_catch_up import STATUS_0, KafkaAway, status_listener

GATE_TASKS = [
    "kafka",
    "status catch-up",
    "outbox relay",
    "wakeups",
    "gate board",
    "client keys",
    "dispatch supervisor",
    "backlog reconciliation",
    "retention",
]


class UnexpectedError(Exception):
    """Nothing in the gate expects this one."""


def restarts_counted(task: str) -> float:
    return REGISTRY.get_sample_value("queue_gate_task_restarts_total", {"task": task}) or 0.0


def dying_once(run: TaskFactory) -> TaskFactory:
    runs = 0

    async def first_run_dies() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise UnexpectedError("a bug nobody foresaw")
        await run()

    return first_run_dies


async def test_every_long_running_task_of_the_gate_is_supervised() -> None:
    async with running_gate() as gate:
        assert sorted(gate.runtime.tasks.report()) == sorted(GATE_TASKS)
        await eventually(lambda: _all_running(gate), within=5, what="every task running")


async def _all_running(gate: FakeGate) -> bool:
    return all(task["running"] for task in gate.runtime.tasks.report().values())


@pytest.mark.parametrize("task", GATE_TASKS)
async def test_a_task_killed_by_an_unexpected_exception_comes_back_and_is_counted(
    task: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = restarts_counted(task)
    tamper_with_task(monkeypatch, task, dying_once)
    async with running_gate() as gate:

        async def running_again() -> bool:
            health = gate.runtime.tasks.report()[task]
            return bool(health["running"]) and health["restarts"] == 1

        await eventually(running_again, within=5, what=f"{task} started again")
        assert restarts_counted(task) == before + 1
        assert gate.runtime.tasks.report()[task]["last_error"] == "UnexpectedError"
        await does_its_work(gate, task)


async def does_its_work(gate: FakeGate, task: str) -> None:
    ports = gate.ports
    if task == "kafka":
        change = status_change("35.78", SiakStatus.DOWN, seq=1)
        record = encode_event(new_event(change, source="/tests", subject="35.78"))
        await gate.edges.kafka.deliver(topics.SIAK_STATUS, record.key, record.value)
        assert await ports.statuses.get("35.78") is not None
    elif task == "status catch-up":
        gate.edges.status_catch_up.revoked()
        listener = status_listener(gate, KafkaAway(offset_failures=1))
        await listener.on_partitions_assigned({STATUS_0})
        gate.edges.status_catch_up.processed(0, 1)

        async def caught_up() -> bool:
            return gate.edges.status_catch_up.caught_up

        await eventually(caught_up, within=5, what="the offsets read again")
    elif task == "outbox relay":
        assert gate.edges.relay.runs == 1  # the first run died before it reached the relay
    elif task == "wakeups":
        await _open_region_with_one_waiting(gate)
        gate.edges.wakeups.send("35.78", gate_changed=False)
        await ports.siak.until_sent(1, within=5)
    elif task == "gate board":
        board = gate.runtime.gates
        assert isinstance(board, GateBoard)
        seen = board.reloads

        async def reloaded() -> bool:
            return board.reloads > seen

        await eventually(reloaded, within=5, what="the board reading the gates again")
    elif task == "client keys":
        # Once at start-up, and at once by the task started again (the first run died).
        assert gate.runtime.client_keys.refreshes == 2
    elif task == "backlog reconciliation":
        assert gate.edges.backlog_counts.checks == 1  # the first run died before it checked
    elif task == "dispatch supervisor":
        await _open_region_with_one_waiting(gate)
        await ports.siak.until_sent(1, within=10)  # the sweep found the line


async def _open_region_with_one_waiting(gate: FakeGate) -> None:
    await gate.ports.region_is("35.78", SiakStatus.UP)
    await gate.runtime.gates.reload()
    await gate.ports.waiting("35.78", "a")
