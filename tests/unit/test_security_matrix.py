"""Every route of both services, from their OpenAPI documents, by every kind of credential:
only the token a route is meant for opens it; a route without a rule here fails."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import operator
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from services.queue_gate.domain.client_key import ClientKey, key_digest, new_client_key
from tests.unit.queue_gate.fake_gate import (
    ADMIN_TOKEN,
    API_KEY,
    gate_app,
    gate_settings,
    running_gate,
)
from tests.unit.queue_gate.fakes import START, FakePorts
from tests.unit.siak_monitor.fakes import FakeClock, ready_app
from tests.unit.siak_monitor.fakes import settings as monitor_settings

MONITOR_TOKEN = "unit-monitor-admin-token"


class Credential(StrEnum):
    NONE = "no credentials"
    WRONG = "a wrong token"
    INTAKE = "the gate's intake key"
    CLIENT = "a portal's intake key"
    ADMIN = "the service's admin token"


CLIENT_KEY_ID, CLIENT_KEY = new_client_key()
PORTAL = ClientKey(
    key_id=CLIENT_KEY_ID,
    name="Portal matriks",
    rate_per_s=100.0,
    burst=100,
    regions=None,
    digest=key_digest(CLIENT_KEY),
    created_at=START,
    created_by="ops-test",
)
INTAKE_KEYS = frozenset({Credential.INTAKE, Credential.CLIENT})


EVERYONE = frozenset(Credential)


@dataclass(frozen=True)
class Rule:
    """Who may call a route, and what a caller it admits is answered (on fakes, with the
    path parameters and body given); everyone else gets 401 before anything happens."""

    admits: frozenset[Credential]
    answers: frozenset[int]
    path: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def public(*answers: int, **path: str) -> Rule:
    return Rule(EVERYONE, frozenset(answers), path)


def only(
    credential: Credential, *answers: int, body: dict[str, Any] | None = None, **path: str
) -> Rule:
    return Rule(frozenset({credential}), frozenset(answers), path, body)


UNKNOWN_TICKET = "tkt_" + "A" * 22
SUBMISSION = {
    "region_code": "73.71",
    "service_type": "akta_kelahiran",
    "applicant": {"nik": "7371011203150002", "name": "Andi Tenri Ajeng"},
    "details": {"child_name": "Bayi", "birth_place": "Makassar"},
}
MAINTENANCE = {
    "regions": ["73.71"],
    "starts_at": "2030-01-01T01:00:00Z",
    "ends_at": "2030-01-01T03:00:00Z",
    "reason": "upgrade",
    "message": {"id": "Pemeliharaan", "en": "Maintenance"},
}

GATE_RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/"): public(200),
    ("GET", "/healthz"): public(200),
    ("GET", "/readyz"): public(200, 503),
    ("GET", "/metrics"): public(200),
    ("GET", "/v1/regions"): public(200),
    ("GET", "/v1/regions/{code}"): public(200, code="73.71"),
    # The ticket id is the capability: 128 random bits (see the test of their randomness).
    ("GET", "/v1/submissions/{ticket_id}"): public(404, ticket_id=UNKNOWN_TICKET),
    ("POST", "/v1/submissions"): Rule(
        INTAKE_KEYS,
        frozenset({202}),
        body=SUBMISSION,
        headers={"Idempotency-Key": "matrix-1"},
    ),
    ("PATCH", "/v1/admin/regions/{code}"): only(
        Credential.ADMIN, 200, body={"override": "force_closed", "reason": "drill"}, code="73.71"
    ),
    ("GET", "/v1/admin/parked"): only(Credential.ADMIN, 200),
    ("POST", "/v1/admin/submissions/{ticket_id}/retry"): only(
        Credential.ADMIN, 409, body={"reason": "drill"}, ticket_id=UNKNOWN_TICKET
    ),
    ("POST", "/v1/admin/submissions/{ticket_id}/cancel"): only(
        Credential.ADMIN, 409, body={"reason": "drill"}, ticket_id=UNKNOWN_TICKET
    ),
    ("GET", "/v1/admin/client-keys"): only(Credential.ADMIN, 200),
    ("GET", "/v1/admin/client-keys/changes"): only(Credential.ADMIN, 200),
    ("POST", "/v1/admin/client-keys"): only(
        Credential.ADMIN, 201, body={"name": "Portal", "rate_per_s": 5, "reason": "drill"}
    ),
    ("POST", "/v1/admin/client-keys/{key_id}/revoke"): only(
        Credential.ADMIN, 404, body={"reason": "drill"}, key_id="0" * 12
    ),
    # The console: a browser session of its own, never a bearer token; a stranger is sent to
    # the sign-in form, and a POST without the form's CSRF token changes nothing.
    ("GET", "/console"): public(303),
    ("GET", "/console/sign-in"): public(200),
    ("POST", "/console/sign-in"): public(415),
    ("POST", "/console/sign-out"): public(303),
    ("GET", "/console/parked"): public(303),
    ("POST", "/console/parked/{ticket_id}/{move}"): public(
        303, ticket_id=UNKNOWN_TICKET, move="retry"
    ),
    ("GET", "/console/controls"): public(303),
    ("POST", "/console/controls"): public(303),
    ("GET", "/console/maintenance"): public(303),
    ("POST", "/console/maintenance"): public(303),
    ("POST", "/console/maintenance/{plan_id}"): public(303, plan_id="none"),
    ("POST", "/console/maintenance/{plan_id}/cancel"): public(303, plan_id="none"),
    ("GET", "/console/audit"): public(303),
}

MONITOR_RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): public(200),
    ("GET", "/readyz"): public(200),
    ("GET", "/v1/regions"): public(200),
    ("GET", "/v1/regions/{code}"): public(200, code="73.71"),
    ("GET", "/v1/regions/{code}/history"): public(200, code="73.71"),
    ("GET", "/v1/parent"): public(404),  # no parent target configured here
    ("GET", "/v1/maintenance"): public(200),
    ("GET", "/v1/maintenance/{plan_id}"): public(404, plan_id="none"),
    ("POST", "/v1/maintenance"): only(Credential.ADMIN, 201, body=MAINTENANCE),
    ("PUT", "/v1/maintenance/{plan_id}"): only(
        Credential.ADMIN, 404, body=MAINTENANCE, plan_id="none"
    ),
    ("DELETE", "/v1/maintenance/{plan_id}"): only(Credential.ADMIN, 404, plan_id="none"),
}


def gate() -> FastAPI:
    ports = FakePorts()
    ports.client_keys.holding(PORTAL)
    return gate_app(gate_settings(), ports)


def monitor() -> FastAPI:
    return ready_app(monitor_settings(watch="73.71,73.06", admin_token=MONITOR_TOKEN), FakeClock())


SERVICES = {
    "queue_gate": (gate, GATE_RULES, ADMIN_TOKEN),
    "siak_monitor": (monitor, MONITOR_RULES, MONITOR_TOKEN),
}


def documented_routes(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]


ROUTES = [
    pytest.param(service, route, id=f"{service} {route[0]} {route[1]}")
    for service, (build, _rules, _admin) in SERVICES.items()
    for route in documented_routes(build())
]


def authorization(credential: Credential, admin_token: str) -> dict[str, str]:
    token = {
        Credential.NONE: None,
        Credential.WRONG: "not-the-token",
        Credential.INTAKE: API_KEY,
        Credential.CLIENT: CLIENT_KEY,
        Credential.ADMIN: admin_token,
    }[credential]
    return {} if token is None else {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test") as http,
    ):
        yield http


@pytest.mark.parametrize(("service", "route"), ROUTES)
async def test_only_the_credential_meant_for_a_route_opens_it(
    service: str, route: tuple[str, str]
) -> None:
    build, rules, admin_token = SERVICES[service]
    rule = rules.get(route)
    assert rule is not None, (
        f"{service} {route[0]} {route[1]} has no rule in {__name__}: say who may call it"
    )
    method, template = route
    async with serving(build()) as http:
        for credential in Credential:
            response = await http.request(
                method,
                template.format(**rule.path),
                json=rule.body,
                headers={**rule.headers, **authorization(credential, admin_token)},
            )
            seen = f"{service} {method} {template} with {credential}: {response.status_code}"
            if credential in rule.admits:
                assert response.status_code in rule.answers, f"{seen} {response.text}"
            else:
                assert response.status_code == 401, f"{seen}, not 401"
                assert response.headers["WWW-Authenticate"] == "Bearer", seen


@pytest.mark.parametrize("service", SERVICES)
def test_every_rule_names_a_documented_route(service: str) -> None:
    build, rules, _admin = SERVICES[service]
    assert set(rules) <= set(documented_routes(build()))


def ticket_bits(ticket_id: str) -> int:
    token = ticket_id.removeprefix("tkt_")
    return int.from_bytes(base64.urlsafe_b64decode(token + "=="), "big")


async def test_ticket_ids_are_not_guessable() -> None:
    """Sequential or time-based ids leave their high bits alike from one ticket to the next;
    128 random bits flip each bit somewhere among 64 tickets (a miss has odds of 2^-56)."""
    async with running_gate() as gate:
        tickets = []
        for serial in range(1, 65):
            response = await gate.http.post(
                "/v1/submissions",
                json={**SUBMISSION, "applicant": {"nik": f"737101120315{serial:04d}", "name": "A"}},
                headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": f"t-{serial}"},
            )
            assert response.status_code == 202, response.text
            tickets.append(response.json()["ticket_id"])

    values = [ticket_bits(ticket) for ticket in tickets]
    assert len(set(values)) == len(values)
    every_bit = (1 << 128) - 1
    ones = functools.reduce(operator.or_, values)
    zeros = functools.reduce(operator.or_, (~value & every_bit for value in values))
    assert ones == every_bit, "some bit of the ticket ids is never 1"
    assert zeros == every_bit, "some bit of the ticket ids is never 0"


async def test_the_backlog_cap_holds_under_a_burst() -> None:
    """The limit on intake that holds for every key, the local one too: a region's line
    takes at most `backlog_cap` submissions, however many arrive at once."""
    async with running_gate(gate_settings(backlog_cap=3)) as gate:

        async def submit(serial: int) -> httpx.Response:
            return await gate.http.post(
                "/v1/submissions",
                json={**SUBMISSION, "applicant": {"nik": f"737101120315{serial:04d}", "name": "A"}},
                headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": f"b-{serial}"},
            )

        answers = await asyncio.gather(*(submit(serial) for serial in range(1, 11)))
        backlog = await gate.ports.submissions.backlog("73.71")

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [202] * 3 + [429] * 7
    assert backlog == 3
    refused = [answer for answer in answers if answer.status_code == 429]
    assert all(answer.headers["Retry-After"].isdigit() for answer in refused)
    assert {answer.json()["error"]["code"] for answer in refused} == {"backlog_full"}


def test_the_admin_token_cannot_be_the_intake_key() -> None:
    """Were they one secret, every portal holding the intake key would be an operator."""
    with pytest.raises(ValidationError, match="admin_token must differ from api_key"):
        gate_settings(api_key="one-secret", admin_token="one-secret")


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer", "bearer  "])
async def test_a_monitor_without_an_admin_token_changes_nothing_for_anyone(
    authorization: str | None,
) -> None:
    """No token configured keeps the admin API shut, an empty bearer token included."""
    app = ready_app(monitor_settings(admin_token=""), FakeClock())
    headers = {} if authorization is None else {"Authorization": authorization}

    async with serving(app) as http:
        answers = [
            await http.post("/v1/maintenance", json=MAINTENANCE, headers=headers),
            await http.delete("/v1/maintenance/none", headers=headers),
        ]
        plans = (await http.get("/v1/maintenance")).json()

    assert [answer.status_code for answer in answers] == [401, 401]
    assert plans == []
