"""Signing in to the console of a gate on fakes, as a browser would: forms, cookies, tokens."""

from __future__ import annotations

import re

import httpx

from services.queue_gate.domain.operator_password import ScryptCost
from services.queue_gate.operators.accounts import create_operator
from services.queue_gate.operators.ports import Role
from tests.unit.queue_gate.fakes import FakePorts

PASSWORD = "kopi-toraja-2026"
CHEAP = ScryptCost(n=2**4, r=8, p=1)
"""Fast for unit tests; the cost is read back from each stored hash."""
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def an_operator(ports: FakePorts, name: str = "ani", role: Role = Role.OPERATOR) -> str:
    await create_operator(
        name, role=role, password=PASSWORD, accounts=ports.console.accounts, cost=CHEAP
    )
    return name


def csrf_token(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, f"no CSRF token in the page: {page.text[:500]}"
    return found[1]


async def sign_in(http: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    form = await http.get("/console/sign-in")
    return await http.post(
        "/console/sign-in",
        data={"csrf_token": csrf_token(form), "name": name, "password": password},
    )
