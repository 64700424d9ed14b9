"""The admin API over the app on fakes: what an operator may set, null, and the audit."""

from __future__ import annotations

import pytest

from services.queue_gate.domain.region_gate import Override
from services.queue_gate.domain.ticket import SubmissionState
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
