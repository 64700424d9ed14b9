"""Admin and intake requests: credentials checked and size bounded before the body is read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.queue_gate.fake_gate import ADMIN_TOKEN, API_KEY, FakeGate, running_gate

MIB = 1024 * 1024
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Operator": "ops-test"}
INTAKE = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "limits-1"}


class HugeBody:
    """64 MiB in 1 MiB chunks, counting how many the server pulled."""

    def __init__(self, chunks: int = 64) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"x" * MIB


@pytest.fixture
async def gate() -> AsyncIterator[FakeGate]:
    async with running_gate() as running:
        yield running


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("PATCH", "/v1/admin/regions/35.78", {}),
        ("PATCH", "/v1/admin/regions/35.78", {"Authorization": "Bearer wrong"}),
        ("POST", "/v1/admin/submissions/tkt_x/retry", {}),
        ("POST", "/v1/submissions", {"Idempotency-Key": "limits-2"}),
    ],
)
async def test_without_credentials_a_huge_body_is_refused_unread(
    gate: FakeGate, method: str, path: str, headers: dict[str, str]
) -> None:
    body = HugeBody()
    response = await gate.http.request(method, path, content=body, headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert body.pulled <= 1  # the transport's first chunk at most: never parsed


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [("/v1/admin/regions/35.78", "PATCH", ADMIN), ("/v1/submissions", "POST", INTAKE)],
)
async def test_with_credentials_a_body_over_the_cap_is_refused_once_past_it(
    gate: FakeGate, path: str, method: str, headers: dict[str, str]
) -> None:
    body = HugeBody()
    response = await gate.http.request(method, path, content=body, headers=headers)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert body.pulled <= 2


async def test_a_declared_length_over_the_cap_is_refused_before_reading(gate: FakeGate) -> None:
    response = await gate.http.patch(
        "/v1/admin/regions/35.78",
        content=b"{}",
        headers={**ADMIN, "Content-Length": str(64 * MIB)},
    )

    assert response.status_code == 413


async def test_a_body_within_the_cap_reaches_the_route(gate: FakeGate) -> None:
    response = await gate.http.patch(
        "/v1/admin/regions/35.78",
        json={"replay_paused": True, "reason": "limits test"},
        headers=ADMIN,
    )

    assert response.status_code == 200, response.text
    assert response.json()["replay_paused"] is True
