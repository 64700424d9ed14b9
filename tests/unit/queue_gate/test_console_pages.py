"""The console's pages on fakes: what each shows, and each action through the admin handlers."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.region_gate import Override
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.entrypoints.templates.language_choice import Language
from services.queue_gate.entrypoints.templates.status_wording import WORDING as STATUS_WORDING
from services.queue_gate.operators.ports import (
    MaintenancePlan,
    MaintenanceRefusedError,
    MaintenanceWindow,
    Role,
)
from shared.events import MaintenanceRecurrence, SiakStatus
from tests.support.unshowable_text import SOME_UNSHOWABLE
from tests.unit.queue_gate.console_client import an_operator, csrf_token, sign_in
from tests.unit.queue_gate.fake_gate import FakeGate, running_gate
from tests.unit.queue_gate.fakes import FakePorts

NIK = "7371011203150002"


async def parked(
    ports: FakePorts, reason_code: str = "SIAK_DATA_MISMATCH", region: str = "73.71"
) -> str:
    ticket = await ports.waiting(region, "a", state=SubmissionState.QUEUED)
    moved = await ports.submissions.move(
        ticket, to=SubmissionState.PARKED, parked_reason=reason_code
    )
    assert moved
    return ticket


@pytest.fixture
def ports() -> FakePorts:
    return FakePorts()


@pytest.fixture
async def gate(ports: FakePorts) -> AsyncIterator[FakeGate]:
    await an_operator(ports, "ani", Role.OPERATOR)
    await an_operator(ports, "budi", Role.VIEWER)
    async with running_gate(ports=ports) as running:
        yield running


async def signed_in(gate: FakeGate, name: str = "ani") -> str:
    """Signs in; the CSRF token of the session."""
    assert (await sign_in(gate.http, name)).status_code == 303
    return csrf_token(await gate.http.get("/console"))


async def post(gate: FakeGate, path: str, token: str, **fields: str) -> httpx.Response:
    return await gate.http.post(path, data={"csrf_token": token, **fields})


async def test_the_regions_page_shows_status_gate_backlog_rate_and_drain_time(
    gate: FakeGate, ports: FakePorts
) -> None:
    await ports.region_is("73.71", SiakStatus.DOWN, since=ports.clock())
    await ports.waiting("73.71", "a")
    await signed_in(gate)

    page = await gate.http.get("/console?lang=en")
    region = (await gate.http.get("/v1/regions/73.71")).json()

    assert page.status_code == 200
    assert 'data-region="73.71"' in page.text
    words = STATUS_WORDING[Language.EN]
    status, gate_state = SiakStatus(region["siak_status"]), GateState(region["gate_state"])
    assert f"SIAK status</dt><dd>{words.siak_statuses[status]} ({status.value})<" in page.text
    assert f"Gate</dt><dd>{words.gate_states[gate_state]} ({gate_state.value}) · " in page.text
    assert "Backlog</dt><dd>1<" in page.text and "Estimated drain time" in page.text


async def test_the_parked_page_shows_siaks_reason_code_and_nothing_of_the_applicant(
    gate: FakeGate, ports: FakePorts
) -> None:
    ticket = await parked(ports)
    await signed_in(gate)

    page = await gate.http.get("/console/parked")

    assert ticket in page.text and "SIAK_DATA_MISMATCH" in page.text
    assert NIK not in page.text and "applicant-a" not in page.text


async def test_a_retry_with_a_reason_puts_it_back_in_line_and_records_the_operator(
    gate: FakeGate, ports: FakePorts
) -> None:
    ticket = await parked(ports)
    token = await signed_in(gate)

    answer = await post(gate, f"/console/parked/{ticket}/retry", token, reason="data fixed")
    shown = await gate.http.get(answer.headers["Location"])

    assert answer.status_code == 303
    assert ports.submissions.stored(ticket).state is SubmissionState.QUEUED
    [entry] = await ports.console.audit.search(ticket, limit=5)
    assert (entry.actor, entry.action, entry.reason) == ("ani", "retry", "data fixed")
    assert "Tersimpan." in shown.text and ticket not in shown.text


@pytest.mark.parametrize("reason", ["", "x" * 301, "x\u0000y", *SOME_UNSHOWABLE])
async def test_a_cancel_without_a_reason_changes_nothing(
    gate: FakeGate, ports: FakePorts, reason: str
) -> None:
    ticket = await parked(ports)
    token = await signed_in(gate)

    answer = await post(gate, f"/console/parked/{ticket}/cancel", token, reason=reason)

    assert answer.status_code == 400
    assert "Alasan wajib diisi." in answer.text
    assert ports.submissions.stored(ticket).state is SubmissionState.PARKED


async def test_an_action_without_the_csrf_token_is_refused(
    gate: FakeGate, ports: FakePorts
) -> None:
    ticket = await parked(ports)
    await signed_in(gate)

    answer = await gate.http.post(f"/console/parked/{ticket}/retry", data={"reason": "x"})

    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "Formulir ini kedaluwarsa atau tidak sah." in answer.text
    assert ports.submissions.stored(ticket).state is SubmissionState.PARKED


async def test_a_viewer_sees_but_may_not_act(gate: FakeGate, ports: FakePorts) -> None:
    ticket = await parked(ports)
    token = await signed_in(gate, "budi")

    page = await gate.http.get("/console/parked")
    answer = await post(gate, f"/console/parked/{ticket}/retry", token, reason="x")

    assert ticket in page.text
    assert answer.status_code == 403
    assert "Peran Anda hanya boleh melihat." in answer.text
    assert ports.submissions.stored(ticket).state is SubmissionState.PARKED


async def test_retrying_what_is_not_parked_is_a_conflict(gate: FakeGate, ports: FakePorts) -> None:
    ticket = await ports.waiting("73.71", "a")
    token = await signed_in(gate)

    answer = await post(gate, f"/console/parked/{ticket}/retry", token, reason="x")

    assert answer.status_code == 409
    assert ports.console.audit.entries[-1].action == "sign_in"


async def test_an_override_closes_the_gate_as_the_admin_api_would(
    gate: FakeGate, ports: FakePorts
) -> None:
    await ports.region_is("73.71", SiakStatus.UP)
    token = await signed_in(gate)

    answer = await post(
        gate,
        "/console/controls",
        token,
        region_code="73.71",
        override="force_closed",
        intake_mode="",
        replay_paused="true",
        max_rate="4",
        reason="SIAK asked us to hold",
    )
    region = (await gate.http.get("/v1/regions/73.71")).json()
    control = await ports.controls.get("73.71")

    assert answer.status_code == 303
    assert region["gate_state"] == "closed" and region["override"] == "force_closed"
    assert control.replay_paused is True and control.max_rate == 4
    assert (control.changed_by, control.reason) == ("ani", "SIAK asked us to hold")
    [entry] = await ports.console.audit.search("region_control", limit=5)
    assert entry.actor == "ani"


async def test_the_maximum_rate_goes_back_to_the_default(gate: FakeGate, ports: FakePorts) -> None:
    token = await signed_in(gate)
    await post(gate, "/console/controls", token, region_code="73.71", max_rate="4", reason="a")

    answer = await post(
        gate, "/console/controls", token, region_code="73.71", max_rate_default="1", reason="b"
    )

    assert answer.status_code == 303
    assert (await ports.controls.get("73.71")).max_rate is None


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"region_code": "73.71", "max_rate": "-1", "reason": "x"}, "max_rate"),
        ({"region_code": "73.71", "override": "open_sesame", "reason": "x"}, "override"),
        ({"region_code": "73.71", "override": "force_open", "reason": ""}, "reason"),
        ({"region_code": "73.71", "override": "force_open", "reason": "x\u0000"}, "reason"),
        ({"region_code": "73.71", "override": "force_open", "reason": "x\u0085y"}, "reason"),
        ({"region_code": "73.71", "override": "force_open", "reason": "x\u202e"}, "reason"),
        ({"region_code": "99.99", "override": "force_open", "reason": "x"}, "Kode wilayah"),
    ],
)
async def test_a_bad_control_names_the_field_and_changes_nothing(
    gate: FakeGate, ports: FakePorts, fields: dict[str, str], named: str
) -> None:
    token = await signed_in(gate)

    answer = await post(gate, "/console/controls", token, **fields)

    assert answer.status_code == 400
    assert named in answer.text
    assert ports.controls.history == []
    assert (await ports.controls.get("73.71")).override is Override.AUTO


WINDOW = {
    "regions": "73.71, 73.06",
    "starts_at": "2030-01-31T22:00",
    "ends_at": "2030-02-01T02:00",
    "reason": "data_migration",
    "message_id": "Pemeliharaan SIAK",
    "message_en": "SIAK maintenance",
}


async def test_a_maintenance_window_is_scheduled_changed_and_cancelled(
    gate: FakeGate, ports: FakePorts
) -> None:
    token = await signed_in(gate)
    calendar = ports.console.maintenance

    scheduled = await post(gate, "/console/maintenance", token, **WINDOW)
    [plan] = await calendar.plans()
    listed = await gate.http.get("/console/maintenance")
    changed = await post(
        gate, f"/console/maintenance/{plan.id}", token, **{**WINDOW, "ends_at": "2030-02-01T04:00"}
    )
    after_change = calendar.plans_by_id[plan.id].window.ends_at
    cancelled = await post(gate, f"/console/maintenance/{plan.id}/cancel", token, reason="done")

    assert [scheduled.status_code, changed.status_code, cancelled.status_code] == [303] * 3
    assert plan.window.regions == ["73.71", "73.06"]
    assert plan.window.starts_at == datetime(2030, 1, 31, 22, 0, tzinfo=UTC)
    assert "Pemeliharaan SIAK" in listed.text and plan.id in listed.text
    assert after_change == datetime(2030, 2, 1, 4, 0, tzinfo=UTC)
    assert calendar.plans_by_id == {}
    actions = [entry.action for entry in await ports.console.audit.search(plan.id, limit=9)]
    assert actions == ["maintenance_cancelled", "maintenance_changed", "maintenance_scheduled"]


@pytest.mark.parametrize("reason", ["", "x" * 201, "done\u0000", *SOME_UNSHOWABLE])
async def test_a_maintenance_cancel_with_a_bad_reason_changes_nothing(
    gate: FakeGate, ports: FakePorts, reason: str
) -> None:
    token = await signed_in(gate)
    await post(gate, "/console/maintenance", token, **WINDOW)
    [plan] = await ports.console.maintenance.plans()

    answer = await post(gate, f"/console/maintenance/{plan.id}/cancel", token, reason=reason)

    assert answer.status_code == 400 and "reason" in answer.text
    assert list(ports.console.maintenance.plans_by_id) == [plan.id]
    actions = [entry.action for entry in await ports.console.audit.search(plan.id, limit=9)]
    assert actions == ["maintenance_scheduled"]


async def test_a_window_the_monitor_refuses_names_its_field(
    gate: FakeGate, ports: FakePorts
) -> None:
    token = await signed_in(gate)
    ports.console.maintenance.refuse = MaintenanceRefusedError("too long", "ends_at")

    answer = await post(gate, "/console/maintenance", token, **WINDOW)
    bad_time = await post(gate, "/console/maintenance", token, **{**WINDOW, "starts_at": "soon"})

    assert answer.status_code == 422 and "ends_at" in answer.text
    assert bad_time.status_code == 400 and "starts_at" in bad_time.text
    assert ports.console.maintenance.plans_by_id == {}


async def test_the_audit_log_is_searchable(gate: FakeGate, ports: FakePorts) -> None:
    ticket = await parked(ports)
    token = await signed_in(gate)
    await post(gate, f"/console/parked/{ticket}/cancel", token, reason="duplicate of another")

    everything = await gate.http.get("/console/audit?lang=en")
    found = await gate.http.get("/console/audit", params={"q": "duplicate", "lang": "en"})
    nothing = await gate.http.get("/console/audit", params={"q": "no-such-words", "lang": "en"})

    assert "sign_in" in everything.text and "cancel" in everything.text
    assert "duplicate of another" in found.text and "sign_in" not in found.text
    assert "No entries." in nothing.text


async def test_the_parked_page_shows_a_page_at_a_time_with_a_link_to_the_next(
    gate: FakeGate, ports: FakePorts
) -> None:
    tickets = [await parked(ports) for _ in range(120)]
    await parked(ports, region="73.06")
    await signed_in(gate)

    pages: list[list[str]] = []
    path: str | None = "/console/parked?region=73.71&lang=en"
    while path is not None:
        page = await gate.http.get(path)
        assert page.status_code == 200
        pages.append(re.findall(r'data-ticket="([^"]+)"', page.text))
        next_links = re.findall(r'<a href="([^"]+)"[^>]*>Next', page.text)
        assert len(next_links) <= 1
        path = html.unescape(next_links[0]) if next_links else None
        assert path is None or "region=73.71" in path

    assert len(pages) > 1 and all(len(shown) <= 100 for shown in pages)
    assert [ticket for shown in pages for ticket in shown] == tickets


def prefilled(page: httpx.Response, action: str) -> dict[str, str]:
    """What the form posting to `action` sends as it is shown: inputs and chosen options."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}[?"].*?</form>', page.text)
    assert found is not None, f"no form for {action}"
    fields = dict(
        re.findall(r'<input type="[^"]+" id="[^"]+" name="([^"]+)" value="([^"]*)"', found[0])
    )
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', found[0]):
        chosen = re.search(r'<option value="([^"]*)" selected>', options) or re.search(
            r'<option value="([^"]*)"', options
        )
        assert chosen is not None
        fields[name] = chosen[1]
    fields.pop("csrf_token", None)
    return {name: html.unescape(value) for name, value in fields.items()}


async def test_changing_a_weekly_local_time_plans_message_keeps_its_recurrence_and_times(
    gate: FakeGate, ports: FakePorts
) -> None:
    token = await signed_in(gate)
    weekly = MaintenanceWindow(
        regions=["73.71"],
        starts_at=datetime(2026, 12, 6, 22, 0),  # no offset: WITA, the region's local time
        ends_at=datetime(2026, 12, 7, 2, 0),
        reason="weekly_backup",
        message_id="Pencadangan mingguan",
        message_en="Weekly backup",
        recurrence=MaintenanceRecurrence.WEEKLY,
    )
    ports.console.maintenance.plans_by_id["mnt-1"] = MaintenancePlan("mnt-1", True, weekly)

    listed = await gate.http.get("/console/maintenance?lang=en")
    fields = prefilled(listed, "/console/maintenance/mnt-1")
    changed = await post(
        gate, "/console/maintenance/mnt-1", token, **{**fields, "message_en": "Weekly backup, 4 h"}
    )

    assert "2026-12-06 22:00 (each region&#x27;s local time)" in listed.text
    assert "weekly" in listed.text
    assert changed.status_code == 303
    kept = ports.console.maintenance.plans_by_id["mnt-1"].window
    assert kept == dataclasses.replace(weekly, message_en="Weekly backup, 4 h")


async def test_a_window_may_be_scheduled_weekly_in_the_regions_local_time(
    gate: FakeGate, ports: FakePorts
) -> None:
    token = await signed_in(gate)

    answer = await post(
        gate, "/console/maintenance", token, **WINDOW, times_in="local", recurrence="weekly"
    )

    assert answer.status_code == 303
    [plan] = await ports.console.maintenance.plans()
    assert plan.window.starts_at == datetime(2030, 1, 31, 22, 0)
    assert plan.window.recurrence == "weekly"


async def test_moving_what_cannot_be_a_ticket_id_is_not_found(gate: FakeGate) -> None:
    token = await signed_in(gate)

    answer = await post(gate, "/console/parked/tkt%00x/retry", token, reason="x")

    assert answer.status_code == 404
