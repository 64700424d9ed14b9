"""The simulator's answer faults: healthy to a probe, wrong answers to submissions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.siak_sim.app import LOGIN_PATH, create_app
from services.siak_sim.state import Misanswered, RegionState, SimulatedSiak

MAKASSAR = "73.71"
NIK = "7371014509900001"
PAYLOAD = {"service_type": "akta_kelahiran", "applicant": {"nik": NIK, "name": "Siti Aminah"}}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        yield http


async def with_fault(client: httpx.AsyncClient, state: str) -> httpx.Response:
    await client.put(f"/_control/regions/{MAKASSAR}", json={"state": state})
    return await client.post(
        f"/regions/{MAKASSAR}/submissions", json=PAYLOAD, headers={"Idempotency-Key": "tkt_1"}
    )


async def nothing_received(client: httpx.AsyncClient) -> bool:
    listing: dict[str, object] = (await client.get("/_control/received")).json()
    return listing == {"items": [], "duplicates": 0}


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("unauthorized", 401),
        ("forbidden", 403),
        ("not_found", 404),
        ("method_not_allowed", 405),
        ("key_conflict", 409),
        ("gone", 410),
    ],
)
async def test_a_fault_answers_its_status_records_nothing_and_stays_healthy(
    client: httpx.AsyncClient, state: str, status: int
) -> None:
    response = await with_fault(client, state)

    assert response.status_code == status
    assert await nothing_received(client)
    health = await client.get(f"/regions/{MAKASSAR}/health")
    assert (health.status_code, health.json()["state"]) == (200, "up")


async def test_redirect_sends_the_submission_to_a_login_page(client: httpx.AsyncClient) -> None:
    response = await with_fault(client, "redirect")

    assert response.status_code == 302
    assert response.headers["location"].startswith(LOGIN_PATH)
    login = await client.get(response.headers["location"])
    assert login.status_code == 200 and "<form" in login.text
    assert await nothing_received(client)


async def test_unacknowledged_answers_200_without_the_key(client: httpx.AsyncClient) -> None:
    response = await with_fault(client, "unacknowledged")

    assert response.status_code == 200
    assert "tkt_1" not in response.text and "siak_reference" not in response.json()
    assert await nothing_received(client)


async def test_invalid_answers_a_fastapi_style_422_echoing_the_nik_and_name(
    client: httpx.AsyncClient,
) -> None:
    response = await with_fault(client, "invalid")

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [
        ["body", "applicant", "nik"],
        ["body", "applicant", "name"],
    ]
    assert errors[0]["input"] == NIK and NIK in errors[0]["msg"]
    assert errors[1]["input"] == "Siti Aminah" and "'Siti Aminah'" in errors[1]["msg"]
    assert await nothing_received(client)


async def test_reset_clears_a_fault(client: httpx.AsyncClient) -> None:
    await with_fault(client, "gone")

    await client.post("/_control/reset")
    response = await client.post(
        f"/regions/{MAKASSAR}/submissions", json=PAYLOAD, headers={"Idempotency-Key": "tkt_1"}
    )

    assert response.status_code == 201


def test_a_fault_comes_before_idempotency_and_rejects() -> None:
    sim = SimulatedSiak()
    sim.submit(MAKASSAR, "tkt_1")
    sim.set_condition(MAKASSAR, RegionState.UNAUTHORIZED)

    assert sim.submit(MAKASSAR, "tkt_1") == Misanswered(MAKASSAR, RegionState.UNAUTHORIZED)
    assert sim.duplicates(MAKASSAR) == 0
