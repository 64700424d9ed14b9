"""Portals' intake keys over the app on fakes: created once, limited, scoped, revoked, audited."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from services.queue_gate.client_keyring import ClientKeyring
from services.queue_gate.client_keys import parser, run
from services.queue_gate.domain.client_key import ClientKey, key_digest, new_client_key
from tests.support.polling import eventually
from tests.support.unshowable_text import SOME_UNSHOWABLE
from tests.unit.queue_gate.fake_gate import ADMIN_TOKEN, API_KEY, FakeGate, running_gate
from tests.unit.queue_gate.fake_gate import gate_settings as settings_of
from tests.unit.queue_gate.fakes import FakeClientKeyStore, FakeClock, FakePorts

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Operator": "ops-ani"}
MAKASSAR, GOWA = "73.71", "73.06"


def submission(region: str, serial: int) -> dict[str, Any]:
    return {
        "region_code": region,
        "service_type": "akta_kelahiran",
        "applicant": {"nik": f"737101120315{serial:04d}", "name": "Andi Tenri Ajeng"},
        "details": {"child_name": "Bayi", "birth_place": "Makassar"},
    }


def refusals(reason: str) -> float:
    labels = {"reason": reason}
    return REGISTRY.get_sample_value("queue_gate_intake_refused_total", labels) or 0.0


class Portal:
    """One portal submitting with its own key."""

    def __init__(self, gate: FakeGate, key: str) -> None:
        self.gate = gate
        self.key = key
        self.sent = 0

    async def submit(self, region: str = MAKASSAR) -> httpx.Response:
        self.sent += 1
        return await self.gate.http.post(
            "/v1/submissions",
            json=submission(region, self.sent),
            headers={
                "Authorization": f"Bearer {self.key}",
                "Idempotency-Key": f"{self.key[:15]}-{self.sent}",
            },
        )


async def created(gate: FakeGate, **fields: Any) -> tuple[str, dict[str, Any]]:
    """A new key made through the admin API: the key, and what the API shows of it."""
    body = {"name": "Portal Makassar", "rate_per_s": 100, "reason": "onboarding", **fields}
    response = await gate.http.post("/v1/admin/client-keys", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    answer = response.json()
    return answer["key"], answer["client"]


async def test_a_created_key_is_shown_once_stored_only_as_a_digest_and_names_its_submissions() -> (
    None
):
    async with running_gate() as gate:
        key, client = await created(gate)
        accepted = await Portal(gate, key).submit()
        listed = (await gate.http.get("/v1/admin/client-keys", headers=ADMIN)).json()
        (stored_key,) = await gate.ports.client_keys.all()

    assert accepted.status_code == 202, accepted.text
    ticket = gate.ports.submissions.stored(accepted.json()["ticket_id"])
    assert ticket.client_id == client["key_id"]
    assert stored_key.digest == key_digest(key) and key not in repr(stored_key)
    assert listed == [client]
    assert key not in str(listed) and stored_key.digest not in str(listed)
    assert client["created_by"] == "ops-ani" and client["revoked_at"] is None


async def test_the_local_key_still_submits_recorded_as_the_local_client() -> None:
    async with running_gate() as gate:
        accepted = await Portal(gate, API_KEY).submit()

    assert accepted.status_code == 202, accepted.text
    assert gate.ports.submissions.stored(accepted.json()["ticket_id"]).client_id == "local"


async def test_each_key_has_its_own_rate_and_past_it_gets_429_with_retry_after() -> None:
    async with running_gate() as gate:
        slow_key, _ = await created(gate, name="Portal lambat", rate_per_s=0.5, burst=2)
        fast_key, _ = await created(gate, name="Portal cepat", rate_per_s=50)
        slow, fast = Portal(gate, slow_key), Portal(gate, fast_key)
        refused_before = refusals("rate_limited")

        slow_answers = [(await slow.submit()).status_code for _ in range(2)]
        over = await slow.submit()
        fast_answers = [(await fast.submit()).status_code for _ in range(10)]
        gate.ports.clock.advance(timedelta(seconds=2))
        after_the_wait = await slow.submit()
        waiting = await gate.ports.submissions.backlog(MAKASSAR)

    assert slow_answers == [202, 202]
    assert over.status_code == 429, over.text
    assert over.json()["error"]["code"] == "rate_limited"
    assert over.headers["Retry-After"] == "2"  # one token every 2 s, none left
    assert refusals("rate_limited") == refused_before + 1
    assert fast_answers == [202] * 10  # the other portal's limit is its own
    assert after_the_wait.status_code == 202
    assert waiting == 2 + 10 + 1  # the refused one changed nothing


async def test_a_key_for_some_regions_is_refused_for_another_naming_the_field() -> None:
    async with running_gate() as gate:
        key, client = await created(gate, regions=[MAKASSAR])
        portal = Portal(gate, key)
        elsewhere = await portal.submit(GOWA)
        its_own = await portal.submit(MAKASSAR)
        gowa_waiting = await gate.ports.submissions.backlog(GOWA)

    assert client["regions"] == [MAKASSAR]
    assert elsewhere.status_code == 403, elsewhere.text
    error = elsewhere.json()["error"]
    assert error["code"] == "region_not_allowed"
    assert error["fields"][0]["loc"] == ["body", "region_code"]
    assert "7371011203150001" not in elsewhere.text  # nothing submitted is echoed
    assert gowa_waiting == 0
    assert its_own.status_code == 202


async def test_a_key_for_an_unknown_region_is_not_created() -> None:
    async with running_gate() as gate:
        response = await gate.http.post(
            "/v1/admin/client-keys",
            json={"name": "P", "rate_per_s": 1, "regions": ["99.99"], "reason": "r"},
            headers=ADMIN,
        )
        keys = await gate.ports.client_keys.all()

    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["loc"] == ["body", "regions"]
    assert keys == []


async def test_a_key_revoked_here_stops_at_once_and_the_revocation_is_audited() -> None:
    async with running_gate() as gate:
        key, client = await created(gate)
        portal = Portal(gate, key)
        before = await portal.submit()
        revoked = await gate.http.post(
            f"/v1/admin/client-keys/{client['key_id']}/revoke",
            json={"reason": "portal retired"},
            headers=ADMIN,
        )
        after = await portal.submit()
        again = await gate.http.post(
            f"/v1/admin/client-keys/{client['key_id']}/revoke",
            json={"reason": "twice"},
            headers=ADMIN,
        )
        audit = (await gate.http.get("/v1/admin/client-keys/changes", headers=ADMIN)).json()

    assert before.status_code == 202
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "ops-ani"
    assert after.status_code == 401, after.text
    assert again.status_code == 404  # nothing changes, nothing more is audited
    assert [(c["action"], c["changed_by"], c["reason"]) for c in audit] == [
        ("created", "ops-ani", "onboarding"),
        ("revoked", "ops-ani", "portal retired"),
    ]


async def test_a_key_revoked_on_another_replica_stops_within_the_refresh_interval() -> None:
    """The other replica writes to the same store; this one reads it every
    `client_key_refresh_s`, run by its "client keys" task."""
    async with running_gate(settings_of(client_key_refresh_s=0.05)) as gate:
        key, client = await created(gate)
        portal = Portal(gate, key)
        assert (await portal.submit()).status_code == 202
        refreshes = gate.runtime.client_keys.refreshes

        await gate.ports.client_keys.revoke(client["key_id"], actor="ops-b", reason="leaked")

        async def read_again() -> bool:
            return gate.runtime.client_keys.refreshes > refreshes

        await eventually(read_again, within=5, what="the keys read again")
        refused = await portal.submit()

    assert refused.status_code == 401, refused.text


async def test_keys_not_read_for_twice_the_interval_are_not_trusted_but_the_local_key_is() -> None:
    """Were the store unreadable, a revoked key would otherwise live on here unbounded."""
    async with running_gate(settings_of(client_key_refresh_s=60)) as gate:
        key, _ = await created(gate)
        portal = Portal(gate, key)
        gate.ports.client_keys.failing = True
        gate.ports.clock.advance(timedelta(seconds=119))
        trusted = await portal.submit()
        gate.ports.clock.advance(timedelta(seconds=2))
        untrusted = await portal.submit()
        local = await Portal(gate, API_KEY).submit()

    assert trusted.status_code == 202, trusted.text
    assert untrusted.status_code == 503, untrusted.text
    assert untrusted.headers["Retry-After"].isdigit()
    assert local.status_code == 202, local.text


async def test_a_wrong_secret_behind_a_real_key_id_is_refused() -> None:
    async with running_gate() as gate:
        key, _ = await created(gate)
        forged = key[: key.index(".") + 1] + "x" * 43
        refused = await Portal(gate, forged).submit()

    assert refused.status_code == 401, refused.text


async def test_the_command_creates_lists_and_revokes_keys_with_an_audit() -> None:
    store = FakeClientKeyStore(FakeClock())

    async def command(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        status = await run(parser().parse_args(argv), store, out)
        return status, out.getvalue()

    created_status, created_out = await command(
        "create", "--name", "Portal Gowa", "--rate", "2", "--regions", "73.06",
        "--reason", "onboarding", "--by", "ops-budi",
    )  # fmt: skip
    (key,) = await store.all()
    listed_status, listed_out = await command("list")
    revoked_status, _ = await command("revoke", key.key_id, "--reason", "gone", "--by", "ops-c")
    unknown_status, _ = await command("revoke", key.key_id, "--reason", "twice", "--by", "ops-c")

    assert created_status == listed_status == revoked_status == 0
    assert unknown_status == 1
    assert key.regions == frozenset({"73.06"}) and key.burst == 2
    assert f'"key":"gk_{key.key_id}.' in created_out
    assert "gk_" not in listed_out and key.digest not in listed_out
    assert [(c.action, c.changed_by) for c in await store.changes(key.key_id)] == [
        ("created", "ops-budi"),
        ("revoked", "ops-c"),
    ]
    assert (await store.active()) == []


async def test_without_gate_api_key_only_the_portals_keys_submit() -> None:
    async with running_gate(settings_of(api_key=None)) as gate:
        key, _ = await created(gate)
        portal = await Portal(gate, key).submit()
        local = await Portal(gate, API_KEY).submit()

    assert portal.status_code == 202, portal.text
    assert local.status_code == 401, local.text


@pytest.mark.parametrize("text", ["portal\u0000", *SOME_UNSHOWABLE])
@pytest.mark.parametrize("field", ["name", "reason"])
async def test_a_control_character_in_a_new_keys_text_is_refused_naming_it(
    field: str, text: str
) -> None:
    body = {"name": "Portal Makassar", "rate_per_s": 100, "reason": "onboarding"}
    async with running_gate() as gate:
        response = await gate.http.post(
            "/v1/admin/client-keys", json={**body, field: text}, headers=ADMIN
        )
        listed = (await gate.http.get("/v1/admin/client-keys", headers=ADMIN)).json()

    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["loc"] == ["body", field]
    assert listed == []


async def test_a_wall_clock_stepped_forward_lets_no_client_past_its_burst() -> None:
    ports = FakePorts()
    key_id, secret = new_client_key()
    key = ClientKey(
        key_id=key_id,
        name="Portal Makassar",
        rate_per_s=0.5,
        burst=2,
        regions=None,
        digest=key_digest(secret),
        created_at=ports.clock(),
        created_by="ops-test",
    )
    ports.client_keys.holding(key)
    steady = 1000.0
    keyring = ClientKeyring(
        ports.client_keys, local_key=None, clock=ports.clock, steady=lambda: steady
    )
    await keyring.refresh()
    client = keyring.identify(secret)
    assert client is not None
    burst = [keyring.wait_before_next(client) for _ in range(2)]

    ports.clock.advance(timedelta(seconds=5))  # an NTP step: no time passed
    stepped = keyring.wait_before_next(client)
    steady += 2
    waited = keyring.wait_before_next(client)

    assert burst == [None, None]
    assert stepped == timedelta(seconds=2)
    assert waited is None
