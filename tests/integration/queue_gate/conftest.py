"""A queue_gate served over loopback against the real broker, a fresh database and the
SIAK simulator, plus a feed of status events to steer its regions.

Regions of Jawa Timur (35) and Jawa Tengah (33) are the gate tests' own: other suites on the
same broker use other provinces, and every test takes regions no other test uses.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from services.queue_gate.bootstrap import create_app
from services.queue_gate.settings import GateSettings
from services.siak_sim.app import create_app as create_simulator
from services.siak_sim.state import SimulatedSiak
from shared import topics
from shared.events import SiakStatus
from shared.regions import load_registry
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure
from tests.support.kafka import produce
from tests.support.servers import serving
from tests.support.status_consumers import status_group, status_record

API_KEY = "test-intake-key"
ADMIN_TOKEN = "test-admin-token"
# A region of its own for each test that needs one (the suite takes more than two provinces
# hold). Provinces no other test watches: a gate test's status events on the shared topic
# would be read back by a monitor watching the same regions (the monitor's tests take 32).
_REGIONS = iter(
    code
    for province in ("35", "33", "36", "51", "34", "32")
    for code in (region.code for region in load_registry().in_province(province))
)
# Status seq must grow across tests: a gate of a group that reads the topic from its start
# (one not taken with `status_group`) reads every earlier test's records.
_SEQ = itertools.count(time.time_ns() // 1_000_000)


def take_regions(count: int) -> list[str]:
    taken = list(itertools.islice(_REGIONS, count))
    if len(taken) < count:
        raise RuntimeError("every test region is taken: add a province to _REGIONS")
    return taken


@dataclass
class StatusFeed:
    bootstrap_servers: str

    async def set(self, region: str, status: SiakStatus, **fields: Any) -> int:
        """Publish the region's new status; its seq."""
        seq = next(_SEQ)
        await produce(
            self.bootstrap_servers, topics.SIAK_STATUS, status_record(region, status, seq, **fields)
        )
        return seq


@dataclass
class Gate:
    url: str
    http: httpx.AsyncClient
    siak: SimulatedSiak
    status: StatusFeed
    database_url: str
    siak_url: str

    async def submit(
        self, region: str, nik: str, *, key: str | None = None, name: str = "Warga Uji"
    ) -> httpx.Response:
        body = submission_body(region, nik, name=name)
        return await self.http.post(
            f"{self.url}/v1/submissions",
            json=body,
            headers={
                "Authorization": f"Bearer {API_KEY}",
                "Idempotency-Key": key or f"{region}-{nik}-{time.time_ns()}",
            },
        )

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        body: dict[str, Any] = (
            await self.http.get(f"{self.url}/v1/submissions/{ticket_id}")
        ).json()
        return body

    async def admin(self, method: str, path: str, json: dict[str, Any]) -> httpx.Response:
        return await self.http.request(
            method,
            f"{self.url}/v1/admin{path}",
            json=json,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Operator": "ops-test"},
        )

    def received_keys(self, region: str) -> list[str]:
        return [item.key for item in self.siak.received(region)]


async def acceptance_order(database_url: str, region: str) -> list[str]:
    """The region's ticket ids in the order intake committed them."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT ticket_id FROM submission WHERE region_code = $1 ORDER BY seq", region
        )
    finally:
        await connection.close()
    return [row["ticket_id"] for row in rows]


def submission_body(region: str, nik: str, *, name: str = "Warga Uji") -> dict[str, Any]:
    return {
        "region_code": region,
        "service_type": "akta_kelahiran",
        "applicant": {"nik": nik, "name": name},
        "details": {"child_name": "Bayi", "birth_place": "Surabaya"},
    }


def nik(serial: int, *, province: str = "35") -> str:
    """A valid NIK: region 35.78.01, born 12 May 1990, the given serial."""
    return f"{province}7801120590{serial:04d}"


def gate_settings(
    infrastructure: Infrastructure, database_url: str, siak_url: str, **overrides: Any
) -> GateSettings:
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "admin_token": ADMIN_TOKEN,
        "data_key": "A" * 43,
        "applicant_key_secret": "s" * 32,
        "siak_base_url": siak_url,
        "consumer_group": f"gate-{time.time_ns()}",
        "canary_count": 1,
        "initial_rate": 200.0,
        "max_rate": 1000.0,
        "ramp_interval_s": 0.2,
        # By their variables' names: the settings read no field by its own name.
        "kafka": KafkaSettings.plaintext(infrastructure.bootstrap_servers),
        "database": {"DATABASE_URL": database_url},
        **overrides,
    }
    return GateSettings.model_validate(values)


@pytest.fixture
def siak() -> Iterator[SimulatedSiak]:
    yield SimulatedSiak()


@pytest.fixture
async def siak_url(siak: SimulatedSiak) -> AsyncIterator[str]:
    async with serving(create_simulator(siak)) as url:
        yield url


@pytest.fixture
async def gate(
    infrastructure: Infrastructure, database_url: str, siak: SimulatedSiak, siak_url: str
) -> AsyncIterator[Gate]:
    group = await status_group(infrastructure.bootstrap_servers, "gate")  # topics made too
    settings = gate_settings(infrastructure, database_url, siak_url, consumer_group=group)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=10) as http:
        feed = StatusFeed(infrastructure.bootstrap_servers)
        yield Gate(url, http, siak, feed, database_url, siak_url)
