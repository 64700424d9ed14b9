"""The admin API over the app on fakes: what an operator may set, null, and the audit."""

from __future__ import annotations

import httpx
import pytest

from services.queue_gate.domain.region_gate import Override, RegionControl
from services.queue_gate.domain.ticket import SubmissionState
from tests.support.unshowable_text import SHOWABLE, SOME_UNSHOWABLE, UNSHOWABLE
from tests.unit.queue_gate.fake_gate import ADMIN_TOKEN, running_gate
from tests.unit.queue_gate.fakes import FakePorts

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.mark.parametrize("field", ["override", "replay_paused"])
async def test_null_for_a_field_without_a_default_is_refused_naming_it(field: str) -> None:
    async with running_gate() as gate:
        response = await gate.http.patch(
            "/v1/admin/regions/73.71", json={field: None, "reason": "test"}, headers=ADMIN
        )
        control = await gate.ports.controls.get("73.71")
        region = await gate.http.get("/v1/regions/73.71")

    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["loc"] == ["body", field]
    assert control.override is Override.AUTO and control.replay_paused is False  # unchanged
    assert region.status_code == 200


async def test_null_sets_intake_mode_and_rate_back_to_their_defaults() -> None:
    async with running_gate() as gate:
        await gate.http.patch(
            "/v1/admin/regions/73.71",
            json={"intake_mode": "reject", "max_rate": 3, "reason": "set"},
            headers=ADMIN,
        )
        response = await gate.http.patch(
            "/v1/admin/regions/73.71",
            json={"intake_mode": None, "max_rate": None, "reason": "back to defaults"},
            headers=ADMIN,
        )
        control = await gate.ports.controls.get("73.71")

    assert response.status_code == 200, response.text
    assert control.intake_mode is None and control.max_rate is None


async def test_a_retry_of_a_parked_submission_is_audited_with_who_and_why() -> None:
    ports = FakePorts()
    ticket = await ports.waiting("73.71", "a", state=SubmissionState.PARKED)
    async with running_gate(ports=ports) as gate:
        await gate.http.post(
            f"/v1/admin/submissions/{ticket}/retry",
            json={"reason": "SIAK fixed the record"},
            headers={**ADMIN, "X-Operator": "ani"},
        )

    assert ports.submissions.stored(ticket).state is SubmissionState.QUEUED
    [entry] = await ports.console.audit.search(ticket, limit=10)
    assert (entry.actor, entry.action, entry.reason) == ("ani", "retry", "SIAK fixed the record")


async def parked_tickets(ports: FakePorts, region: str, count: int) -> list[str]:
    return [
        await ports.waiting(region, f"applicant-{n}", state=SubmissionState.PARKED)
        for n in range(count)
    ]


async def test_parked_submissions_are_listed_a_page_at_a_time_linking_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ports = FakePorts()
    tickets = await parked_tickets(ports, "73.71", 5)
    await parked_tickets(ports, "73.06", 1)

    async def looked_up_one_by_one(_ticket_id: str) -> None:
        raise AssertionError("the list is built from one query")

    monkeypatch.setattr(ports.submissions, "by_ticket", looked_up_one_by_one)
    pages: list[list[str]] = []
    async with running_gate(ports=ports) as gate:
        path: str | None = "/v1/admin/parked?region=73.71&limit=2"
        while path is not None:
            answer = await gate.http.get(path, headers=ADMIN)
            assert answer.status_code == 200, answer.text
            pages.append([view["ticket_id"] for view in answer.json()])
            assert all(view["state"] == "parked" for view in answer.json())
            path = answer.links.get("next", {}).get("url")

    assert pages == [tickets[:2], tickets[2:4], tickets[4:]]


async def test_an_old_client_reads_the_first_hundred_parked_as_before() -> None:
    ports = FakePorts()
    tickets = await parked_tickets(ports, "73.71", 101)
    async with running_gate(ports=ports) as gate:
        answer = await gate.http.get("/v1/admin/parked", headers=ADMIN)

    assert answer.status_code == 200
    assert [view["ticket_id"] for view in answer.json()] == tickets[:100]
    assert set(answer.json()[0]) == {
        "ticket_id",
        "region_code",
        "service_type",
        "state",
        "queue_position",
        "estimated_delivery_at",
        "accepted_at",
        "updated_at",
        "delivered_at",
        "parked_reason",
    }
    assert "next" in answer.links


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"), ("after=x1", "after")],
)
async def test_a_parked_page_out_of_bounds_is_refused_naming_the_field(
    query: str, field: str
) -> None:
    async with running_gate() as gate:
        answer = await gate.http.get(f"/v1/admin/parked?{query}", headers=ADMIN)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["fields"][0]["loc"] == ["query", field]


@pytest.mark.parametrize("rate", [1e-300, 0.0001])
async def test_a_ceiling_too_small_to_pace_with_is_refused_naming_it(rate: float) -> None:
    async with running_gate() as gate:
        response = await gate.http.patch(
            "/v1/admin/regions/73.71", json={"max_rate": rate, "reason": "hold"}, headers=ADMIN
        )
        control = await gate.ports.controls.get("73.71")

    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["loc"] == ["body", "max_rate"]
    assert control.max_rate is None  # unchanged


@pytest.mark.parametrize("reason", UNSHOWABLE)
async def test_a_control_character_in_a_regions_reason_is_refused_naming_it(reason: str) -> None:
    response, control, history = await _close_with(reason)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["loc"] == ["body", "reason"]
    assert control.override is Override.AUTO
    assert history == []


@pytest.mark.parametrize("reason", SHOWABLE)
async def test_a_reason_in_the_regions_languages_and_scripts_is_kept_as_written(
    reason: str,
) -> None:
    response, control, _ = await _close_with(reason)

    assert response.status_code == 200, response.text
    assert (control.override, control.reason) == (Override.FORCE_CLOSED, reason)


async def _close_with(
    reason: str,
) -> tuple[httpx.Response, RegionControl, list[tuple[str, RegionControl]]]:
    """An operator forces 73.71 closed giving `reason`: the answer, the control, its history."""
    async with running_gate() as gate:
        response = await gate.http.patch(
            "/v1/admin/regions/73.71",
            json={"override": "force_closed", "reason": reason},
            headers=ADMIN,
        )
        control = await gate.ports.controls.get("73.71")
    return response, control, list(gate.ports.controls.history)


@pytest.mark.parametrize("reason", ["fixed\u001b[2J", *SOME_UNSHOWABLE])
@pytest.mark.parametrize("move", ["retry", "cancel"])
async def test_a_control_character_in_a_parked_moves_reason_changes_nothing(
    move: str, reason: str
) -> None:
    ports = FakePorts()
    ticket = await ports.waiting("73.71", "a", state=SubmissionState.PARKED)
    async with running_gate(ports=ports) as gate:
        response = await gate.http.post(
            f"/v1/admin/submissions/{ticket}/{move}",
            json={"reason": reason},
            headers=ADMIN,
        )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["loc"] == ["body", "reason"]
    assert ports.submissions.stored(ticket).state is SubmissionState.PARKED
    assert await ports.console.audit.search(ticket, limit=10) == []


@pytest.mark.parametrize("move", ["retry", "cancel"])
async def test_moving_what_cannot_be_a_ticket_id_is_not_found(move: str) -> None:
    # PostgreSQL refuses a NUL in the lookup: a 500 unless the id is checked first.
    async with running_gate() as gate:
        response = await gate.http.post(
            f"/v1/admin/submissions/tkt%00x/{move}", json={"reason": "fixed"}, headers=ADMIN
        )

    assert response.status_code == 404, response.text
    assert "ticket" in response.text
