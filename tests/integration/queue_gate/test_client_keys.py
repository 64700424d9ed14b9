"""Two portals with keys of their own over real HTTP and PostgreSQL: each held to its own
rate, each submission recorded with its client, a key revoked by the command refused soon."""

from __future__ import annotations

import io
import json

import asyncpg
import httpx
import pytest

from services.queue_gate import client_keys
from services.queue_gate.bootstrap import create_app
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import (
    ADMIN_TOKEN,
    gate_settings,
    nik,
    submission_body,
    take_regions,
)
from tests.support.polling import eventually
from tests.support.servers import serving
from tests.support.status_consumers import status_group

pytestmark = pytest.mark.integration

REFRESH_S = 0.2


async def test_two_portals_each_get_their_own_limit_and_a_revoked_key_stops(
    infrastructure: Infrastructure,
    database_url: str,
    siak_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [region] = take_regions(1)
    settings = gate_settings(
        infrastructure,
        database_url,
        siak_url,
        client_key_refresh_s=REFRESH_S,
        consumer_group=await status_group(infrastructure.bootstrap_servers, "gate"),
    )
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Operator": "ops-ani"}
    serial = iter(range(1, 100))

    async def submit(http: httpx.AsyncClient, url: str, key: str) -> httpx.Response:
        n = next(serial)
        return await http.post(
            f"{url}/v1/submissions",
            json=submission_body(region, nik(n)),
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"portal-{n}"},
        )

    async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=10) as http:
        made = await http.post(
            f"{url}/v1/admin/client-keys",
            json={"name": "Portal lambat", "rate_per_s": 0.01, "burst": 2, "reason": "pilot"},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        slow_key, slow_id = made.json()["key"], made.json()["client"]["key_id"]
        # The other portal's key comes from the command, as on another machine.
        monkeypatch.setenv("DATABASE_URL", database_url)
        argv = ["create", "--name", "Portal cepat", "--rate", "1000", "--reason", "pilot"]
        argv += ["--by", "ops-budi"]
        out = io.StringIO()
        assert await client_keys.main(argv, out) == 0
        fast = json.loads(out.getvalue())
        fast_key, fast_id = fast["key"], fast["client"]["key_id"]

        async def taken_up() -> httpx.Response | None:
            answer = await submit(http, url, fast_key)
            return answer if answer.status_code == 202 else None

        await eventually(taken_up, within=10, what="the command's key taken up by the gate")
        slow = [await submit(http, url, slow_key) for _ in range(3)]
        fast_answers = [await submit(http, url, fast_key) for _ in range(5)]

        revoke = ["revoke", fast_id, "--reason", "leaked", "--by", "ops-budi"]
        assert await client_keys.main(revoke, out) == 0

        accepted_meanwhile = 0  # before this replica reads the keys again

        async def refused() -> httpx.Response | None:
            nonlocal accepted_meanwhile
            answer = await submit(http, url, fast_key)
            accepted_meanwhile += answer.status_code == 202
            return answer if answer.status_code == 401 else None

        # A deadline only: a loaded machine may take seconds to read the keys again.
        await eventually(refused, within=30, what="the revoked key refused")

    assert [answer.status_code for answer in slow] == [202, 202, 429]
    assert slow[2].json()["error"]["code"] == "rate_limited"
    assert int(slow[2].headers["Retry-After"]) >= 90  # a token every 100 s
    assert [answer.status_code for answer in fast_answers] == [202] * 5
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT client_id, count(*) AS n FROM submission WHERE region_code = $1 "
            "GROUP BY client_id",
            region,
        )
        audit = await connection.fetch(
            "SELECT key_id, action, changed_by, reason FROM client_key_audit ORDER BY id"
        )
    finally:
        await connection.close()
    assert {row["client_id"]: row["n"] for row in rows} == {
        slow_id: 2,
        fast_id: 6 + accepted_meanwhile,
    }
    assert [(row["key_id"], row["action"], row["reason"]) for row in audit] == [
        (slow_id, "created", "pilot"),
        (fast_id, "created", "pilot"),
        (fast_id, "revoked", "leaked"),
    ]
    assert [row["changed_by"] for row in audit] == ["ops-ani", "ops-budi", "ops-budi"]
