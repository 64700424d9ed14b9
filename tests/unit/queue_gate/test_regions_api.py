"""`GET /v1/regions` and the status page over the fakes: what is stored never makes them fail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.queue_gate.client_keyring import ClientKeyring
from services.queue_gate.dispatch_supervisor import DispatchSupervisor
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.entrypoints import http_api, status_page
from services.queue_gate.handlers.intake import IntakeDeps
from services.queue_gate.handlers.region_gate import GatePolicy, StoredGates
from services.queue_gate.operators.console import console_deps
from services.queue_gate.runtime import GateRuntime
from services.queue_gate.settings import GateSettings
from shared.events import SiakStatus
from tests.support.status_store import store_change
from tests.unit.queue_gate.fakes import FakePorts, status_change

POLICY = GatePolicy(
    stale_after=timedelta(minutes=1), degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)
PACING = PacingConfig(
    canary_count=1, initial_rate=1.0, max_rate=5.0, ramp_interval=timedelta(seconds=10)
)


def runtime_over(ports: FakePorts) -> GateRuntime:
    settings = GateSettings(
        api_key="key", admin_token="token", data_key="A" * 43, applicant_key_secret="s" * 32
    )
    intake = IntakeDeps(
        submissions=ports.submissions,
        statuses=ports.statuses,
        controls=ports.controls,
        gates=StoredGates(ports.statuses, ports.controls, POLICY),
        sealer=ports.sealer,
        applicant_secret=b"s" * 32,
        policy=POLICY,
        backlog_cap=100,
        reject_retry_after=timedelta(minutes=5),
    )
    dispatch = ports.dispatch_deps(POLICY, PACING, idle_timeout=timedelta(seconds=1))
    supervisor = DispatchSupervisor(dispatch, ports.leases, max_active_regions=4)
    return GateRuntime(
        settings=settings,
        intake=intake,
        dispatch=dispatch,
        supervisor=supervisor,
        clock=ports.clock,
        client_keys=ClientKeyring(ports.client_keys, local_key="key", clock=ports.clock),
        console=console_deps(settings, ports.console.stores(), ports.clock),
    )


@pytest.fixture
def ports() -> FakePorts:
    return FakePorts()


@pytest.fixture
async def http(ports: FakePorts) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    for module in (http_api, status_page):
        app.include_router(module.router)
    app.state.runtime = runtime_over(ports)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gate") as client:
        yield client


async def test_a_stored_status_of_a_region_the_registry_lacks_is_left_out(
    ports: FakePorts, http: httpx.AsyncClient
) -> None:
    # Stored before the consumer checked region codes, or by a registry since trimmed.
    assert await store_change(ports.statuses, status_change("99.99", SiakStatus.UP, seq=1))
    await ports.region_is("73.71", SiakStatus.DOWN)

    listed = await http.get("/v1/regions")
    page = await http.get("/", params={"lang": "en"})
    province = await http.get("/", params={"province": "73"})

    assert listed.status_code == 200
    assert [view["region_code"] for view in listed.json()] == ["73.71"]
    assert page.status_code == 200 and "73.71" in page.text and "99.99" not in page.text
    assert province.status_code == 200
