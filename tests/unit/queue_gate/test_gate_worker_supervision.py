"""GATE_WORKERS > 1: `services.queue_gate.workers.serve` under signals, stuck and dying workers, a
killed parent and a port already taken. The app is a stand-in with no database or Kafka
(`tests/support/tiny_gate_workers.py`); what is tested is the supervisor the gate runs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.processes import listening_sockets
from deploy.local.python_service import REPO_ROOT
from services.queue_gate.adapters.prometheus_metrics import WORKERS_DIRECTORY
from services.queue_gate.workers import bound_sockets
from tests.conftest import free_port
from tests.support.gate_worker_processes import worker_processes
from tests.support.polling import eventually

Start = Callable[..., "Gate"]


class Gate:
    def __init__(self, port: int, log: Path, env: dict[str, str]) -> None:
        self.port = port
        self.log = log
        self.seen: set[int] = set()
        self.metrics_directories: set[str] = set()
        """Left behind by a parent killed -9: removed when the test ends."""
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.tiny_gate_workers", str(port)],
                cwd=REPO_ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def workers(self) -> list[int]:
        found = worker_processes(self.process.pid)
        self.seen.update(found)
        self.metrics_directories.update(filter(None, map(_metrics_directory_of, found)))
        return found

    async def serving(self) -> list[int]:
        """Its two workers, once both listen and the gate answers."""

        async def both_listening() -> bool:
            return listening_sockets(self.port) == 2 and await answered_by(self.port) is not None

        await eventually(both_listening, within=30, what="both workers listening")

        async def two() -> list[int] | None:
            found = self.workers()
            return found if len(found) == 2 else None

        return await eventually(two, within=10, what="two workers")

    def stop_everything(self) -> None:
        self.workers()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()
        for pid in self.seen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for directory in self.metrics_directories:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
async def gates(tmp_path: Path) -> AsyncIterator[Start]:
    started: list[Gate] = []

    def start(port: int | None = None, **env: str) -> Gate:
        gate = Gate(port or free_port(), tmp_path / "gate.log", env)
        started.append(gate)
        return gate

    yield start
    for gate in started:
        gate.stop_everything()


async def answered_by(port: int, path: str = "/") -> int | None:
    """The pid of the worker answering on a fresh connection; None when none answers in 2 s."""
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            answer = await http.get(f"http://127.0.0.1:{port}{path}")
    except httpx.HTTPError:
        return None
    return int(answer.text)


def _metrics_directory_of(pid: int) -> str | None:
    with contextlib.suppress(OSError):
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            name, _, value = item.partition(b"=")
            if name == WORKERS_DIRECTORY.encode():
                return value.decode()
    return None


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


async def _gone(gate: Gate, workers: list[int]) -> bool:
    return not any(_alive(w) for w in workers) and listening_sockets(gate.port) == 0


def _in_the_background(port: int, path: str) -> subprocess.Popen[bytes]:
    """A client whose request waits on `path` for as long as it is not killed."""
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import httpx; httpx.get('http://127.0.0.1:{port}{path}', timeout=3600)",
        ]
    )


@pytest.mark.parametrize("stop", [signal.SIGHUP, signal.SIGQUIT])
async def test_hangup_or_quit_stops_every_worker_with_the_gate(gates: Start, stop: int) -> None:
    # `kill -HUP` (a closed terminal, a reload in a unit file) killed the parent at once and
    # left its workers serving, unsupervised.
    gate = gates()
    workers = await gate.serving()

    gate.process.send_signal(stop)

    assert gate.process.wait(timeout=30) == 0
    await eventually(lambda: _gone(gate, workers), within=10, what="every worker gone")


async def test_workers_end_with_a_parent_killed_without_warning(gates: Start) -> None:
    # The parent killed -9 (the OOM killer, a runtime killing the main process only): its
    # workers served on, and a gate started again joined them on the port.
    gate = gates()
    workers = await gate.serving()

    gate.process.kill()
    gate.process.wait()

    await eventually(lambda: _gone(gate, workers), within=30, what="the orphans gone")


def test_a_port_another_program_listens_on_is_refused(tmp_path: Path) -> None:
    port = free_port()
    other = socket.socket()
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    other.bind(("127.0.0.1", port))
    other.listen()
    try:
        with (tmp_path / "gate.log").open("wb") as log:
            finished = subprocess.run(
                [sys.executable, "-m", "tests.support.tiny_gate_workers", str(port)],
                cwd=REPO_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=60,
                check=False,
            )
    finally:
        other.close()
    assert finished.returncode == 3
    assert "cannot listen" in (tmp_path / "gate.log").read_text()


async def test_a_stuck_worker_is_replaced_and_new_connections_do_not_wait_on_it(
    gates: Start,
) -> None:
    # Its health check is answered on a thread of its own, so a worker whose event loop was
    # stuck was never replaced, and the kernel kept dealing it its share of new connections.
    gate = gates()
    workers = await gate.serving()
    blocker = _in_the_background(gate.port, "/block")
    try:

        async def stuck() -> bool:  # a worker no longer answers
            return None in [await answered_by(gate.port) for _ in range(6)]

        await eventually(stuck, within=20, what="a worker stuck")

        async def replaced_and_all_answered() -> bool:
            answers = [await answered_by(gate.port) for _ in range(10)]
            return None not in answers and set(gate.workers()) != set(workers)

        await eventually(replaced_and_all_answered, within=60, what="the stuck worker replaced")
    finally:
        blocker.kill()
        blocker.wait()


async def test_a_second_stop_signal_stops_a_gate_whose_worker_waits_on_a_request(
    gates: Start, tmp_path: Path
) -> None:
    # A stop waited for the requests in flight for as long as they lasted, a second signal
    # did nothing, and the parent joined its workers with no deadline.
    mark = tmp_path / "in-flight"
    gate = gates(TINY_SLOW_MARK=str(mark))
    workers = await gate.serving()
    waiting = _in_the_background(gate.port, "/slow")
    try:

        async def in_flight() -> bool:
            return mark.exists()

        await eventually(in_flight, within=20, what="the slow request in flight")
        gate.process.send_signal(signal.SIGINT)

        async def stopping() -> bool:  # two signals at once may be taken as one
            return "Terminated child process" in gate.log.read_text()

        await eventually(stopping, within=10, what="the workers asked to stop")
        gate.process.send_signal(signal.SIGINT)

        assert gate.process.wait(timeout=20) == 0
        await eventually(lambda: _gone(gate, workers), within=10, what="every worker gone")
    finally:
        waiting.kill()
        waiting.wait()


async def test_a_worker_that_keeps_dying_stops_the_gate_with_a_failing_status(
    gates: Start,
) -> None:
    # It was replaced every half second, for ever, each leaving its metrics files behind.
    gate = gates(TINY_CRASH_AFTER_S="0.3")

    async def stopped() -> int | None:
        return gate.process.poll()

    assert await eventually(stopped, within=60, what="the gate stopped") == 1
    assert "workers died 5 times" in gate.log.read_text()


async def test_a_parent_that_cannot_start_a_worker_stops_every_other(gates: Start) -> None:
    # An error in the parent's loop (no process could be spawned: EAGAIN) left the surviving
    # worker serving, unsupervised, and the parent hanging at its exit.
    gate = gates(TINY_SPAWNS="2")
    workers = await gate.serving()

    os.kill(workers[0], signal.SIGKILL)  # to be replaced, which the parent cannot

    assert gate.process.wait(timeout=30) == 1
    await eventually(lambda: _gone(gate, workers), within=10, what="every worker gone")


def test_an_empty_host_binds_every_interface_as_one_process_does() -> None:
    sockets = bound_sockets("", free_port())
    try:
        assert {sock.getsockname()[0] for sock in sockets} >= {"0.0.0.0"}
    finally:
        for sock in sockets:
            sock.close()


async def test_a_replacement_that_cannot_start_is_retried_while_the_other_worker_serves(
    gates: Start, tmp_path: Path
) -> None:
    # A worker died while PostgreSQL was away: its replacement could not start, and the
    # supervisor stopped the gate, the healthy worker with it, as if nothing could serve.
    database_away = tmp_path / "database-away"
    gate = gates(TINY_START_FAILS_WHILE=str(database_away))
    first, second = await gate.serving()
    database_away.touch()
    os.kill(first, signal.SIGKILL)

    async def retried_twice_while_the_other_answers() -> bool:
        assert await answered_by(gate.port) == second
        return gate.log.read_text().count("could not start") >= 2

    await eventually(retried_twice_while_the_other_answers, within=60, what="two retries")
    database_away.unlink()

    refilled = await gate.serving()

    assert second in refilled and first not in refilled
    assert gate.process.poll() is None


async def test_metrics_answer_and_every_worker_counts_again_after_their_directory_is_removed(
    gates: Start,
) -> None:
    # A /tmp cleaner removed the run's metrics directory: every scrape failed (500) until the
    # gate was restarted, and the workers went on counting in files nobody could read.
    gate = gates()
    await gate.serving()

    async def every_worker_counting() -> bool:
        answered = {await answered_by(gate.port) for _ in range(8)}
        counts = await _answers_counted(gate.port)
        serving = set(gate.workers())
        return serving <= answered and all(counts.get(worker, 0) > 0 for worker in serving)

    # Each has its file of counters, as a gate's workers have long before a cleaner comes.
    await eventually(every_worker_counting, within=30, what="every worker counted")
    (directory,) = gate.metrics_directories

    shutil.rmtree(directory)

    await eventually(every_worker_counting, within=90, what="every worker counted again")
    assert gate.process.poll() is None


async def _answers_counted(port: int) -> dict[int, float]:
    """What `/metrics` counts of each worker's answers; it must answer."""
    async with httpx.AsyncClient(timeout=5) as http:
        answer = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200, answer.text
    return {
        int(sample.labels["task"].removeprefix("tiny-")): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == "queue_gate_task_restarts_total"
    }
