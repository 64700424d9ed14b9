"""Intake over HTTP: validated, committed, idempotent, and honest about a closed region."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from services.queue_gate.bootstrap import create_app
from shared.events import SiakStatus
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import (
    API_KEY,
    Gate,
    gate_settings,
    nik,
    submission_body,
    take_regions,
)
from tests.support.polling import eventually
from tests.support.servers import serving
from tests.support.status_consumers import status_group

pytestmark = pytest.mark.integration


async def test_accepts_a_submission_and_answers_only_after_it_is_committed(gate: Gate) -> None:
    [region] = take_regions(1)
    response = await gate.submit(region, nik(1))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["state"] == "deferred"  # nothing is known of the region yet: fail safe
    assert body["queue_position"] == 0  # none waited before it
    connection = await asyncpg.connect(gate.database_url)
    try:
        row = await connection.fetchrow(
            "SELECT region_code, state, sealed_payload FROM submission WHERE ticket_id = $1",
            body["ticket_id"],
        )
    finally:
        await connection.close()
    assert row is not None and row["region_code"] == region
    assert nik(1).encode() not in row["sealed_payload"]  # personal data is sealed at rest


async def test_same_key_same_body_gives_the_same_ticket_and_other_body_conflicts(
    gate: Gate,
) -> None:
    [region] = take_regions(1)
    first = await gate.submit(region, nik(2), key="same-key")
    again = await gate.submit(region, nik(2), key="same-key")
    other = await gate.submit(region, nik(3), key="same-key")
    assert first.status_code == again.status_code == 202
    assert again.json()["ticket_id"] == first.json()["ticket_id"]
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region_code": "99.99"}, ["body", "region_code"]),
        ({"service_type": "passport"}, ["body", "service_type"]),
        ({"applicant": {"nik": "٣٥٧٨٠١١٢٠٥٩٠٠٠٠١", "name": "X"}}, ["body", "applicant", "nik"]),
        ({"applicant": {"nik": "3578013102900001", "name": "X"}}, ["body", "applicant", "nik"]),
        ({"unexpected": 1}, ["body", "unexpected"]),
    ],
)
async def test_invalid_input_is_refused_naming_the_field_and_stores_nothing(
    gate: Gate, change: dict[str, object], field: list[str]
) -> None:
    body = {**submission_body("35.78", nik(4)), **change}
    response = await gate.http.post(
        f"{gate.url}/v1/submissions",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "bad-input"},
    )
    assert response.status_code == 422
    assert field in [error["loc"] for error in response.json()["error"]["fields"]]
    assert nik(4) not in response.text and "3578013102900001" not in response.text
    connection = await asyncpg.connect(gate.database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM submission") == 0
    finally:
        await connection.close()


async def test_too_large_and_unauthenticated_requests_are_refused(gate: Gate) -> None:
    body = submission_body("35.78", nik(5))
    body["details"] = {"note": "x" * 20_000}
    too_large = await gate.http.post(
        f"{gate.url}/v1/submissions",
        json=body,
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "large"},
    )
    anonymous = await gate.http.post(
        f"{gate.url}/v1/submissions",
        json=submission_body("35.78", nik(5)),
        headers={"Idempotency-Key": "anonymous"},
    )
    no_key = await gate.http.post(
        f"{gate.url}/v1/submissions",
        json=submission_body("35.78", nik(5)),
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert too_large.status_code == 413
    assert anonymous.status_code == 401
    assert no_key.status_code == 422
    assert ["header", "Idempotency-Key"] in [e["loc"] for e in no_key.json()["error"]["fields"]]


async def test_region_in_reject_mode_answers_503_with_retry_after(gate: Gate) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.DOWN)

    async def region_down() -> bool:
        view = (await gate.http.get(f"{gate.url}/v1/regions/{region}")).json()
        return bool(view["siak_status"] == "DOWN")

    await eventually(region_down, what="region down")
    switched = await gate.admin(
        "PATCH", f"/regions/{region}", {"intake_mode": "reject", "reason": "paper intake only"}
    )
    assert switched.status_code == 200 and switched.json()["mode"] == "reject"
    refused = await gate.submit(region, nik(6))
    assert refused.status_code == 503
    assert int(refused.headers["Retry-After"]) > 0
    assert set(refused.json()["error"]["messages"]) == {"id", "en"}


async def test_ticket_never_shows_personal_data(gate: Gate) -> None:
    [region] = take_regions(1)
    accepted = (await gate.submit(region, nik(7), name="Siti Rahmawati")).json()
    ticket = await gate.ticket(accepted["ticket_id"])
    assert ticket["ticket_id"] == accepted["ticket_id"]
    assert nik(7) not in str(ticket) and "Siti" not in str(ticket)
    unknown = await gate.http.get(f"{gate.url}/v1/submissions/tkt_AAAAAAAAAAAAAAAAAAAAAA")
    assert unknown.status_code == 404


async def test_metrics_count_accepted_and_refused_submissions(gate: Gate) -> None:
    [region] = take_regions(1)
    assert (await gate.submit(region, nik(8))).status_code == 202
    metrics = (await gate.http.get(f"{gate.url}/metrics")).text
    assert (
        f'queue_gate_submissions_accepted_total{{region="{region}",state="deferred"}} 1.0'
        in metrics
    )
    assert "queue_gate_intake_seconds_count" in metrics


async def test_backlog_cap_answers_429_and_stores_nothing_more(
    infrastructure: Infrastructure, database_url: str, siak_url: str
) -> None:
    [region] = take_regions(1)
    group = await status_group(infrastructure.bootstrap_servers, "gate")
    settings = gate_settings(
        infrastructure, database_url, siak_url, backlog_cap=2, consumer_group=group
    )
    async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=10) as http:

        async def submit(serial: int) -> httpx.Response:
            return await http.post(
                f"{url}/v1/submissions",
                json=submission_body(region, nik(serial)),
                headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": f"cap-{serial}"},
            )

        statuses = [(await submit(serial)).status_code for serial in (601, 602, 603)]
        refused = await submit(604)
    assert statuses == [202, 202, 429]
    assert set(refused.json()["error"]["messages"]) == {"id", "en"}
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM submission") == 2
    finally:
        await connection.close()


async def test_the_list_of_regions_shows_each_regions_waiting_submissions(gate: Gate) -> None:
    [region] = take_regions(1)
    for serial in (801, 802):
        assert (await gate.submit(region, nik(serial))).status_code == 202

    listed = (await gate.http.get(f"{gate.url}/v1/regions")).json()
    one = (await gate.http.get(f"{gate.url}/v1/regions/{region}")).json()

    [entry] = [view for view in listed if view["region_code"] == region]
    assert entry["backlog"] == one["backlog"] == 2
    assert entry["gate_state"] == "closed"  # nothing heard of the region: fail safe
