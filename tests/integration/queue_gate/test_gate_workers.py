"""queue_gate with GATE_WORKERS=2: two processes serve intake on one port, each a replica with
its own pool and group commit; every submission is stored once and dispatch goes on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from uvicorn.config import STARTUP_FAILURE

from deploy.local.processes import listening_sockets
from deploy.local.python_service import REPO_ROOT
from services.siak_sim.state import SimulatedSiak
from shared import topics
from shared.events import SiakStatus
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure, free_port
from tests.integration.queue_gate.conftest import (
    ADMIN_TOKEN,
    API_KEY,
    StatusFeed,
    acceptance_order,
    nik,
    submission_body,
    take_regions,
)
from tests.support.gate_worker_processes import worker_processes
from tests.support.polling import eventually
from tests.support.status_consumers import status_group

pytestmark = pytest.mark.integration
POOL = 64
"""Connections a client opens together, as the bench's load generator does."""


@pytest.fixture
async def status_group_now(infrastructure: Infrastructure) -> str:
    return await status_group(infrastructure.bootstrap_servers, "gate-workers")


@pytest.fixture
def gate_process(
    infrastructure: Infrastructure,
    database_url: str,
    siak_url: str,
    tmp_path: Path,
    status_group_now: str,
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    env = {
        **os.environ,
        "GATE_WORKERS": "2",
        "GATE_PORT": str(port),
        "GATE_API_KEY": API_KEY,
        "GATE_ADMIN_TOKEN": ADMIN_TOKEN,
        "GATE_DATA_KEY": "A" * 43,
        "GATE_APPLICANT_KEY_SECRET": "s" * 32,
        "GATE_SIAK_BASE_URL": siak_url,
        "GATE_CONSUMER_GROUP": status_group_now,
        "GATE_CANARY_COUNT": "1",
        "GATE_INITIAL_RATE": "200",
        "GATE_MAX_RATE": "1000",
        "GATE_RAMP_INTERVAL_S": "0.2",
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.bootstrap_servers,
        "DATABASE_URL": database_url,
    }
    with (tmp_path / "queue_gate.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.queue_gate"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for worker in worker_processes(process.pid):
                os.kill(worker, signal.SIGKILL)
            process.kill()
            process.wait(timeout=10)


@contextlib.asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def submit(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, region: str, serial: int
) -> tuple[int, dict[str, object]]:
    """One submission over a connection kept open; the status and the answer's body."""
    body = json.dumps(submission_body(region, nik(1 + serial))).encode()
    head = (
        "POST /v1/submissions HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {API_KEY}\r\nIdempotency-Key: workers-{serial}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    status, answer = await read_answer(reader)
    return status, json.loads(answer)


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of the next answer on a kept-alive connection."""
    answer_head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    length = next(
        int(line.split(":", 1)[1])
        for line in answer_head.split("\r\n")
        if line.lower().startswith("content-length:")
    )
    return int(answer_head.split(" ", 2)[1]), await reader.readexactly(length)


def worker_serving(workers: list[int], client_port: int) -> int:
    """The worker process holding the server's side of the connection from `client_port`."""
    owner = _worker_holding(workers, client_port)
    assert owner is not None, f"no worker holds the connection from port {client_port}"
    return owner


def _worker_holding(workers: list[int], client_port: int) -> int | None:
    """The worker holding the server's side of the connection from `client_port`; None while
    no worker has accepted it yet."""
    inodes = {
        fields[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if (fields := line.split()) and int(fields[2].rpartition(":")[2], 16) == client_port
    }
    owners = [
        worker
        for worker in workers
        for target in _fd_targets(worker)
        if target.removeprefix("socket:[").removesuffix("]") in inodes
    ]
    assert len(owners) <= 1, owners
    return owners[0] if owners else None


def _fd_targets(pid: int) -> list[str]:
    """What the process's open file descriptors point at; one closed while being listed (the
    workers open and close connections all the time) is skipped."""
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(FileNotFoundError):
            targets.append(os.readlink(fd))
    return targets


async def test_two_workers_store_every_submission_once_and_dispatch_goes_on(
    infrastructure: Infrastructure,
    database_url: str,
    siak: SimulatedSiak,
    gate_process: tuple[subprocess.Popen[bytes], int],
) -> None:
    regions = take_regions(2)
    await ensure_topics(
        KafkaSettings.plaintext(infrastructure.bootstrap_servers), topics.GATE_TOPICS
    )
    feed = StatusFeed(infrastructure.bootstrap_servers)
    for region in regions:
        await feed.set(region, SiakStatus.DOWN)
    process, port = gate_process

    workers = await _ready_workers(process.pid, port)

    tickets: dict[str, str] = {}
    served_by: dict[int, list[int]] = {}

    async def submitted(serial: int) -> tuple[int, str]:
        """Submission `serial` on a connection of its own: the worker that served it, the ticket."""
        async with connection(port) as (reader, writer):
            status, answer = await submit(reader, writer, regions[serial % 2], serial)
            assert status == 202, answer
            return worker_serving(workers, writer.get_extra_info("sockname")[1]), str(
                answer["ticket_id"]
            )

    async def both_serving() -> bool:
        serial = len(tickets)
        worker, tickets[f"workers-{serial}"] = await submitted(serial)
        served_by.setdefault(worker, []).append(serial)
        return len(served_by) == 2 and len(tickets) >= 20

    await eventually(both_serving, within=60, interval=0, what="both workers serving intake")
    await _each_worker_scrapes_every_acceptance(port, workers, len(tickets))

    # A key the one worker stored, presented again to the other: the same ticket, no new row.
    first_worker, other_worker = served_by
    again = served_by[first_worker][0]

    async def again_on_the_other() -> bool:
        worker, ticket = await submitted(again)
        if worker != other_worker:
            return False
        assert ticket == tickets[f"workers-{again}"]
        return True

    await eventually(again_on_the_other, within=60, interval=0, what="the key on the other worker")

    stored = {region: await acceptance_order(database_url, region) for region in regions}
    assert sorted(t for line in stored.values() for t in line) == sorted(tickets.values())
    assert await _rows_per_key(database_url, list(tickets)) == dict.fromkeys(tickets, 1)

    for region in regions:
        await feed.set(region, SiakStatus.UP)

    async def all_delivered() -> bool:
        return all(len(siak.received(r)) == len(stored[r]) for r in regions)

    await eventually(all_delivered, within=60, what="both workers' intake delivered")
    for region in regions:
        assert [item.key for item in siak.received(region)] == stored[region]
        assert siak.duplicates(region) == 0


async def _each_worker_scrapes_every_acceptance(port: int, workers: list[int], made: int) -> None:
    """Scrapes on fresh connections until each worker has answered one: every scrape counts
    the submissions both workers accepted (one worker's own count went back and forth with
    the connection, and Prometheus' rate() saw false resets)."""
    answered_by: set[int] = set()

    async def scraped_by_both() -> bool:
        async with connection(port) as (reader, writer):
            text = await scrape(reader, writer)
            answered_by.add(worker_serving(workers, writer.get_extra_info("sockname")[1]))
        assert accepted(text) == made, (answered_by, text)
        return answered_by == set(workers)

    await eventually(scraped_by_both, within=30, interval=0, what="a scrape answered by each")


async def scrape(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: gate\r\n\r\n")
    status, exposition = await read_answer(reader)
    assert status == 200, exposition
    return exposition.decode()


def accepted(exposition: str) -> float:
    """`queue_gate_submissions_accepted_total` summed over its labels."""
    return sum(
        float(line.rpartition(" ")[2])
        for line in exposition.splitlines()
        if line.startswith("queue_gate_submissions_accepted_total{")
    )


async def test_connections_opened_together_are_dealt_over_both_workers(
    gate_process: tuple[subprocess.Popen[bytes], int],
) -> None:
    # A load balancer or a portal opens its pool of kept-alive connections at once. With one
    # listening socket shared by the workers, the worker that woke first took all of them and
    # served them for as long as they lived, while the other stood idle.
    process, port = gate_process
    workers = await _ready_workers(process.pid, port)
    opened = await asyncio.gather(
        *(asyncio.open_connection("127.0.0.1", port) for _ in range(POOL))
    )
    client_ports = [writer.get_extra_info("sockname")[1] for _, writer in opened]
    try:

        async def held_by_each() -> Counter[int] | None:
            owners = [_worker_holding(workers, client_port) for client_port in client_ports]
            return None if None in owners else Counter(o for o in owners if o is not None)

        held = await eventually(held_by_each, within=10, what="every connection accepted")
    finally:
        for _, writer in opened:
            writer.close()
    # The kernel deals them by their addresses, as if at random: a worker given fewer than a
    # quarter of them happens about once in 40,000 pools.
    assert min(held[worker] for worker in workers) >= POOL // 4, held


async def _ready_workers(pid: int, port: int) -> list[int]:
    async with httpx.AsyncClient(timeout=5) as http:

        async def ready() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                return (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
            return False

        await eventually(ready, within=90, what="the gate ready")

    async def both_listening() -> bool:  # a worker binds its socket once it has started
        return listening_sockets(port) == 2

    await eventually(both_listening, within=60, what="both workers listening")
    return await eventually(lambda: _two_workers(pid), within=30, what="two worker processes")


async def _two_workers(pid: int) -> list[int] | None:
    workers = worker_processes(pid)
    return workers if len(workers) == 2 else None


async def _rows_per_key(database_url: str, keys: list[str]) -> dict[str, int]:
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT idempotency_key, count(*) AS n FROM submission"
            " WHERE idempotency_key = ANY($1::text[]) GROUP BY idempotency_key",
            keys,
        )
    finally:
        await connection.close()
    return {row["idempotency_key"]: row["n"] for row in rows}


def test_a_worker_that_cannot_start_stops_the_gate_with_a_failing_exit_code() -> None:
    # A supervisor that restarts only on failure (systemd's on-failure, a script reading $?)
    # must see a gate whose workers cannot start as failed, as it does with one process.
    closed_port = free_port()
    env = {
        **os.environ,
        "GATE_WORKERS": "2",
        "GATE_PORT": str(free_port()),
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port}/nowhere",
        "GATE_API_KEY": API_KEY,
        "GATE_ADMIN_TOKEN": ADMIN_TOKEN,
        "GATE_DATA_KEY": "A" * 43,
        "GATE_APPLICANT_KEY_SECRET": "s" * 32,
    }
    finished = subprocess.run(
        [sys.executable, "-m", "services.queue_gate"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
    )
    assert b"Application startup failed" in finished.stderr
    assert finished.returncode == STARTUP_FAILURE
