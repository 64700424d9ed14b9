"""The monitor against the real broker, probing the SIAK simulator over real HTTP.

Regions here are outside provinces 73 (the end-to-end system) and 11 (the gate's consumer
tests), and each test has its own, so what one test publishes never meets another's.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
import pytest

from services.siak_monitor.bootstrap import create_app
from services.siak_monitor.settings import MonitorSettings
from services.siak_sim.app import create_app as create_simulator
from shared import topics
from shared.events import CLOUDEVENTS_CONTENT_TYPE, decode_event
from shared.events.envelope import EventData
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure
from tests.support.cloudevents_sdk import read_with_python_sdk
from tests.support.kafka import ReadRecord, TopicReader
from tests.support.polling import eventually
from tests.support.schemas import data_errors, schema_errors
from tests.support.servers import serving

EventT = TypeVar("EventT", bound=EventData)
ADMIN_TOKEN = "test-admin-token"
FAST = {
    "probe_interval_s": 0.1,
    "probe_jitter_s": 0.02,
    "probe_timeout_s": 1.0,
    "failure_threshold": 2,
    "success_threshold": 2,
    "heartbeat_period_s": 0.5,
    "tick_period_s": 0.1,
    "publish_request_timeout_ms": 2000,
    "publish_retry_max_s": 0.5,
}


@dataclass
class Simulator:
    """The SIAK simulator, steered through its control API."""

    url: str
    http: httpx.AsyncClient

    async def set(self, code: str, state: str, latency_ms: int | None = None) -> None:
        body: dict[str, Any] = {"state": state}
        if latency_ms is not None:
            body["latency_ms"] = latency_ms
        response = await self.http.put(f"{self.url}/_control/regions/{code}", json=body)
        response.raise_for_status()

    def health_url(self, code: str = "{region}") -> str:
        return f"{self.url}/regions/{code}/health"


@dataclass
class MonitorClient:
    url: str
    http: httpx.AsyncClient

    async def region(self, code: str) -> dict[str, Any]:
        response = await self.http.get(f"{self.url}/v1/regions/{code}")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def region_shows(self, code: str, status: str) -> dict[str, Any] | None:
        body = await self.region(code)
        return body if body["status"] == status and body["seq"] > 0 else None

    async def admin(self, method: str, path: str, json: object = None) -> httpx.Response:
        return await self.http.request(
            method,
            f"{self.url}{path}",
            json=json,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with serving(create_simulator()) as url, httpx.AsyncClient(timeout=5) as http:
        yield Simulator(url, http)


def monitor_settings(
    bootstrap_servers: str, simulator: Simulator, watch: str, **overrides: Any
) -> MonitorSettings:
    name = f"test-{uuid.uuid4().hex[:8]}"
    values: dict[str, Any] = {
        "monitor_id": name,
        # A group (and so a transactional id) of the test's own: monitors of other tests
        # watch other regions and must not fence this one.
        "ownership_group": name,
        "ownership_session_timeout_ms": 6000,
        "watch": watch,
        "probe_url_template": simulator.health_url(),
        "admin_token": ADMIN_TOKEN,
        "kafka": KafkaSettings.model_validate({"KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers}),
        **FAST,
        **overrides,
    }
    return MonitorSettings.model_validate(values)


@contextlib.asynccontextmanager
async def running_monitor(
    settings: MonitorSettings, *, wait_ready: bool = True
) -> AsyncIterator[MonitorClient]:
    async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=5) as http:
        client = MonitorClient(url, http)
        if wait_ready:

            async def ready() -> bool:
                return (await http.get(f"{url}/readyz")).status_code == 200

            await eventually(ready, within=30, what="monitor ready")
        yield client


@pytest.fixture
async def bootstrap_servers(infrastructure: Infrastructure) -> str:
    """The session's broker, with the monitor's topics there before a test reads them."""
    await ensure_topics(
        KafkaSettings.plaintext(infrastructure.bootstrap_servers), topics.MONITOR_TOPICS
    )
    return infrastructure.bootstrap_servers


class Events(Generic[EventT]):
    """A topic's records for some keys, each validated against the committed JSON Schema of
    its kind of event, then decoded with the model behind the schema."""

    def __init__(
        self, reader: TopicReader, topic: str, model: type[EventT], keys: Iterable[str]
    ) -> None:
        self.reader = reader
        self.topic = topic
        self.model = model
        self.keys = set(keys)

    @property
    def records(self) -> list[ReadRecord]:
        """The records behind the events read so far, as they came from the broker."""
        return [r for r in self.reader.records if r.key and r.key.decode() in self.keys]

    async def read(self) -> list[EventT]:
        found = []
        for record in await self.reader.poll():
            if record.key is None or record.key.decode() not in self.keys:
                continue
            assert record.headers["content-type"] == CLOUDEVENTS_CONTENT_TYPE.encode()
            assert schema_errors(record.value, self.model) == []
            sdk_event = read_with_python_sdk(record.headers, record.key, record.value)
            assert data_errors(sdk_event.get_data(), self.model) == []
            found.append(decode_event(record.value, self.model).data)
        return found

    async def until(
        self, condition: Callable[[list[EventT]], bool], *, within: float = 20, what: str
    ) -> list[EventT]:
        async def met() -> list[EventT] | None:
            events = await self.read()
            return events if condition(events) else None

        return await eventually(met, within=within, what=what)


@contextlib.asynccontextmanager
async def topic_events(
    bootstrap_servers: str, topic: str, model: type[EventT], keys: Iterable[str]
) -> AsyncIterator[Events[EventT]]:
    async with TopicReader(bootstrap_servers, topic) as reader:
        yield Events(reader, topic, model, keys)
