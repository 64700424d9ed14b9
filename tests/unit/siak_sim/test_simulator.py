"""Behaviour of the SIAK simulator over HTTP, driven in-process through ASGI."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.siak_sim.app import MAX_BODY_BYTES, create_app
from services.siak_sim.state import (
    DEFAULT_REJECT_REASON,
    DEFAULT_SLOW_LATENCY_MS,
    RegionCondition,
    SimulatedSiak,
)

BANDUNG = "32.73"
SURABAYA = "35.78"
PAYLOAD = {"jenis": "akta_kelahiran", "nik_pemohon": "3273000000000001"}

# asyncio may fire a timer up to its clock resolution early; this slack absorbs that.
TIMER_SLACK_S = 0.005


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        yield http


async def set_region(
    client: httpx.AsyncClient, code: str, state: str, latency_ms: int | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"state": state}
    if latency_ms is not None:
        body["latency_ms"] = latency_ms
    response = await client.put(f"/_control/regions/{code}", json=body)
    assert response.status_code == 200, response.text
    return response


async def submit(
    client: httpx.AsyncClient, region: str, key: str, body: object = PAYLOAD
) -> httpx.Response:
    return await client.post(
        f"/regions/{region}/submissions", json=body, headers={"Idempotency-Key": key}
    )


async def received(client: httpx.AsyncClient, region: str | None = None) -> dict[str, Any]:
    params = {"region": region} if region is not None else {}
    response = await client.get("/_control/received", params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def received_keys(listing: dict[str, Any]) -> list[str]:
    return [item["key"] for item in listing["items"]]


# --- process health ---------------------------------------------------------------------


async def test_healthz_answers_ok_even_when_every_region_is_down(
    client: httpx.AsyncClient,
) -> None:
    await set_region(client, "*", "down")

    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- region health ----------------------------------------------------------------------


async def test_region_never_configured_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/regions/{BANDUNG}/health")

    assert response.status_code == 200
    assert response.json() == {"region": BANDUNG, "state": "up"}


@pytest.mark.parametrize("state", ["down", "maintenance"])
async def test_health_of_unavailable_region_is_503_naming_the_state(
    client: httpx.AsyncClient, state: str
) -> None:
    await set_region(client, BANDUNG, state)

    response = await client.get(f"/regions/{BANDUNG}/health")

    assert response.status_code == 503
    assert response.json()["state"] == state
    assert response.json()["region"] == BANDUNG


async def test_health_of_erroring_region_is_500(client: httpx.AsyncClient) -> None:
    await set_region(client, BANDUNG, "error")

    response = await client.get(f"/regions/{BANDUNG}/health")

    assert response.status_code == 500
    assert response.json()["state"] == "error"


async def test_health_of_slow_region_answers_up_only_after_the_latency(
    client: httpx.AsyncClient,
) -> None:
    await set_region(client, BANDUNG, "slow", latency_ms=60)

    started = time.perf_counter()
    response = await client.get(f"/regions/{BANDUNG}/health")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert response.json() == {"region": BANDUNG, "state": "up"}
    assert elapsed >= 0.060 - TIMER_SLACK_S


async def test_setting_one_region_leaves_others_up(client: httpx.AsyncClient) -> None:
    await set_region(client, BANDUNG, "down")

    response = await client.get(f"/regions/{SURABAYA}/health")

    assert response.status_code == 200


@pytest.mark.parametrize("code", ["3273", "32.7", "aa.bb", "32.73.01", "32-73", "32.73%0A"])
async def test_malformed_region_code_is_404_with_the_expected_format(
    client: httpx.AsyncClient, code: str
) -> None:
    response = await client.get(f"/regions/{code}/health")

    assert response.status_code == 404
    assert "32.73" in response.json()["detail"]


# --- submissions ------------------------------------------------------------------------


async def test_first_submission_is_recorded_with_a_siak_reference(
    client: httpx.AsyncClient,
) -> None:
    response = await submit(client, BANDUNG, "key-1")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"key", "region", "received_at", "siak_reference"}
    assert body["key"] == "key-1"
    assert body["region"] == BANDUNG
    assert body["siak_reference"]
    listing = await received(client)
    assert listing["items"] == [
        {"key": "key-1", "region": BANDUNG, "received_at": body["received_at"]}
    ]


async def test_repeat_with_same_key_is_counted_as_duplicate_not_recorded_twice(
    client: httpx.AsyncClient,
) -> None:
    first = await submit(client, BANDUNG, "key-1")

    repeat = await submit(client, BANDUNG, "key-1")

    assert repeat.status_code == 200
    assert repeat.json()["duplicate"] is True
    assert repeat.json()["siak_reference"] == first.json()["siak_reference"]
    assert repeat.json()["received_at"] == first.json()["received_at"]
    listing = await received(client)
    assert received_keys(listing) == ["key-1"]
    assert listing["duplicates"] == 1


async def test_concurrent_repeats_of_one_key_are_recorded_exactly_once(
    client: httpx.AsyncClient,
) -> None:
    responses = await asyncio.gather(*(submit(client, BANDUNG, "key-1") for _ in range(10)))

    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    listing = await received(client)
    assert received_keys(listing) == ["key-1"]
    assert listing["duplicates"] == 9


async def test_same_key_in_another_region_is_a_separate_submission(
    client: httpx.AsyncClient,
) -> None:
    await submit(client, BANDUNG, "key-1")

    response = await submit(client, SURABAYA, "key-1")

    assert response.status_code == 201
    assert (await received(client))["duplicates"] == 0


async def test_received_lists_submissions_in_arrival_order(client: httpx.AsyncClient) -> None:
    for region, key in [(BANDUNG, "c"), (SURABAYA, "a"), (BANDUNG, "b"), (SURABAYA, "d")]:
        assert (await submit(client, region, key)).status_code == 201

    assert received_keys(await received(client)) == ["c", "a", "b", "d"]
    assert received_keys(await received(client, BANDUNG)) == ["c", "b"]
    assert received_keys(await received(client, SURABAYA)) == ["a", "d"]


async def test_duplicates_are_counted_per_region_when_filtered(
    client: httpx.AsyncClient,
) -> None:
    await submit(client, BANDUNG, "b-1")
    await submit(client, SURABAYA, "s-1")
    await submit(client, BANDUNG, "b-1")
    await submit(client, BANDUNG, "b-1")
    await submit(client, SURABAYA, "s-1")

    assert (await received(client, BANDUNG))["duplicates"] == 2
    assert (await received(client, SURABAYA))["duplicates"] == 1
    assert (await received(client))["duplicates"] == 3


@pytest.mark.parametrize("state", ["down", "maintenance"])
async def test_submission_to_unavailable_region_is_503_and_not_recorded(
    client: httpx.AsyncClient, state: str
) -> None:
    await set_region(client, BANDUNG, state)

    response = await submit(client, BANDUNG, "key-1")

    assert response.status_code == 503
    assert response.json()["state"] == state
    assert (await received(client))["items"] == []


async def test_submission_to_erroring_region_is_500_and_not_recorded(
    client: httpx.AsyncClient,
) -> None:
    await set_region(client, BANDUNG, "error")

    response = await submit(client, BANDUNG, "key-1")

    assert response.status_code == 500
    assert (await received(client))["items"] == []


async def test_submission_recorded_after_region_comes_back_up(
    client: httpx.AsyncClient,
) -> None:
    await set_region(client, BANDUNG, "down")
    assert (await submit(client, BANDUNG, "key-1")).status_code == 503

    await set_region(client, BANDUNG, "up")
    response = await submit(client, BANDUNG, "key-1")

    assert response.status_code == 201
    assert received_keys(await received(client)) == ["key-1"]


async def test_unavailable_region_answers_503_before_checking_the_request(
    client: httpx.AsyncClient,
) -> None:
    await set_region(client, BANDUNG, "down")

    response = await client.post(f"/regions/{BANDUNG}/submissions", json=PAYLOAD)

    assert response.status_code == 503


async def test_submission_to_slow_region_is_recorded_after_the_latency(
    client: httpx.AsyncClient,
) -> None:
    await set_region(client, BANDUNG, "slow", latency_ms=60)

    started = time.perf_counter()
    response = await submit(client, BANDUNG, "key-1")
    elapsed = time.perf_counter() - started

    assert response.status_code == 201
    assert elapsed >= 0.060 - TIMER_SLACK_S
    assert received_keys(await received(client)) == ["key-1"]


class LookedUpSiak(SimulatedSiak):
    """Tells when a request has looked its region's condition up: from then on it waits out
    that condition's latency, whatever the region does meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.looked_up = asyncio.Event()

    def condition(self, region: str) -> RegionCondition:
        found = super().condition(region)
        self.looked_up.set()
        return found


async def test_slow_submission_is_not_recorded_if_region_goes_down_while_waiting() -> None:
    sim = LookedUpSiak()
    transport = httpx.ASGITransport(app=create_app(sim))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        await set_region(client, BANDUNG, "slow", latency_ms=300)
        pending = asyncio.create_task(submit(client, BANDUNG, "key-1"))
        async with asyncio.timeout(10):
            await sim.looked_up.wait()

        await set_region(client, BANDUNG, "down")
        response = await pending

        assert response.status_code == 503
        assert (await received(client))["items"] == []


# --- rejects ----------------------------------------------------------------------------


async def test_rejected_key_answers_422_with_reason_and_is_not_recorded(
    client: httpx.AsyncClient,
) -> None:
    control = await client.post(
        "/_control/reject", json={"keys": ["bad-1"], "reason": "NIK tidak valid"}
    )
    assert control.status_code == 200

    response = await submit(client, BANDUNG, "bad-1")

    assert response.status_code == 422
    assert response.json()["reason"] == "NIK tidak valid"
    assert response.json()["key"] == "bad-1"
    assert (await received(client))["items"] == []
    assert (await submit(client, BANDUNG, "good-1")).status_code == 201


async def test_rejected_key_without_reason_gets_a_default_reason(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/_control/reject", json={"keys": ["bad-1"]})

    response = await submit(client, SURABAYA, "bad-1")

    assert response.status_code == 422
    assert response.json()["reason"] == DEFAULT_REJECT_REASON


async def test_rejected_key_stays_rejected_on_retry(client: httpx.AsyncClient) -> None:
    await client.post("/_control/reject", json={"keys": ["bad-1"]})

    first = await submit(client, BANDUNG, "bad-1")
    retry = await submit(client, BANDUNG, "bad-1")

    assert (first.status_code, retry.status_code) == (422, 422)
    assert (await received(client))["duplicates"] == 0


async def test_key_already_recorded_keeps_answering_success_after_being_rejected(
    client: httpx.AsyncClient,
) -> None:
    await submit(client, BANDUNG, "key-1")
    await client.post("/_control/reject", json={"keys": ["key-1"]})

    response = await submit(client, BANDUNG, "key-1")

    assert response.status_code == 200
    assert response.json()["duplicate"] is True


@pytest.mark.parametrize(
    "body", [{}, {"keys": []}, {"keys": [""]}, {"keys": ["k"], "reason": ""}, {"keys": "k"}]
)
async def test_invalid_reject_request_is_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post("/_control/reject", json=body)

    assert response.status_code == 422


# --- submission validation --------------------------------------------------------------


async def test_submission_without_idempotency_key_is_400_naming_the_header(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(f"/regions/{BANDUNG}/submissions", json=PAYLOAD)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert (await received(client))["items"] == []


async def test_blank_idempotency_key_is_400(client: httpx.AsyncClient) -> None:
    response = await submit(client, BANDUNG, "   ")

    assert response.status_code == 400


async def test_overlong_idempotency_key_is_400(client: httpx.AsyncClient) -> None:
    response = await submit(client, BANDUNG, "k" * 201)

    assert response.status_code == 400


async def test_body_over_64_kib_is_413_and_not_recorded(client: httpx.AsyncClient) -> None:
    response = await submit(client, BANDUNG, "key-1", {"blob": "x" * MAX_BODY_BYTES})

    assert response.status_code == 413
    assert (await received(client))["items"] == []


async def test_body_of_exactly_64_kib_is_accepted(client: httpx.AsyncClient) -> None:
    envelope = len(json.dumps({"blob": ""}).encode())
    content = json.dumps({"blob": "x" * (MAX_BODY_BYTES - envelope)}).encode()
    assert len(content) == MAX_BODY_BYTES

    response = await client.post(
        f"/regions/{BANDUNG}/submissions",
        content=content,
        headers={"Idempotency-Key": "key-1", "Content-Type": "application/json"},
    )

    assert response.status_code == 201


async def test_oversized_streamed_body_without_length_is_413(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"blob": "'
        for _ in range(MAX_BODY_BYTES // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    response = await client.post(
        f"/regions/{BANDUNG}/submissions",
        content=chunks(),
        headers={"Idempotency-Key": "key-1", "Content-Type": "application/json"},
    )

    assert response.status_code == 413


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'"text"', b"[" * 100_000])
async def test_body_that_is_not_a_json_object_is_422(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        f"/regions/{BANDUNG}/submissions",
        content=content[:MAX_BODY_BYTES],
        headers={"Idempotency-Key": "key-1", "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert (await received(client))["items"] == []


async def test_submission_to_malformed_region_code_is_404(client: httpx.AsyncClient) -> None:
    response = await submit(client, "3273", "key-1")

    assert response.status_code == 404


async def test_submission_body_is_never_logged_or_echoed(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "3273999988887777"
    await client.post("/_control/reject", json={"keys": ["bad-1"]})
    caplog.set_level(logging.DEBUG)

    responses = [
        await submit(client, BANDUNG, "key-1", {"nik": marker}),
        await submit(client, BANDUNG, "key-1", {"nik": marker}),
        await submit(client, BANDUNG, "bad-1", {"nik": marker}),
        await submit(client, BANDUNG, "key-2", [marker]),
    ]

    assert marker not in caplog.text
    assert all(marker not in r.text for r in responses)


# --- control ----------------------------------------------------------------------------


async def test_control_put_returns_the_resulting_state(client: httpx.AsyncClient) -> None:
    response = await set_region(client, BANDUNG, "slow", latency_ms=150)

    assert response.json() == {"region": BANDUNG, "state": "slow", "latency_ms": 150}
    current = await client.get(f"/_control/regions/{BANDUNG}")
    assert current.json() == {"region": BANDUNG, "state": "slow", "latency_ms": 150}


async def test_slow_without_latency_uses_the_default(client: httpx.AsyncClient) -> None:
    response = await set_region(client, BANDUNG, "slow")

    assert response.json()["latency_ms"] == DEFAULT_SLOW_LATENCY_MS


async def test_latency_is_ignored_for_states_that_do_not_wait(
    client: httpx.AsyncClient,
) -> None:
    response = await set_region(client, BANDUNG, "up", latency_ms=500)

    assert response.json() == {"region": BANDUNG, "state": "up", "latency_ms": 0}


async def test_control_get_of_unconfigured_region_reports_up(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/_control/regions/{BANDUNG}")

    assert response.status_code == 200
    assert response.json() == {"region": BANDUNG, "state": "up", "latency_ms": 0}


async def test_wildcard_sets_every_region_and_clears_overrides(
    client: httpx.AsyncClient,
) -> None:
    await set_region(client, BANDUNG, "error")

    response = await set_region(client, "*", "maintenance")

    assert response.json() == {"region": "*", "state": "maintenance", "latency_ms": 0}
    for region in (BANDUNG, SURABAYA, "11.01"):
        health = await client.get(f"/regions/{region}/health")
        assert health.status_code == 503
        assert health.json()["state"] == "maintenance"
    assert (await client.get("/_control/regions/*")).json()["state"] == "maintenance"


async def test_region_set_after_wildcard_overrides_the_default(
    client: httpx.AsyncClient,
) -> None:
    await set_region(client, "*", "down")

    await set_region(client, BANDUNG, "up")

    assert (await client.get(f"/regions/{BANDUNG}/health")).status_code == 200
    assert (await client.get(f"/regions/{SURABAYA}/health")).status_code == 503


@pytest.mark.parametrize(
    "body",
    [
        {"state": "sideways"},
        {},
        {"state": "slow", "latency_ms": -1},
        {"state": "slow", "latency_ms": "100"},
        {"state": "slow", "latency_ms": 1.5},
        {"state": "up", "extra": True},
    ],
)
async def test_invalid_control_body_is_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.put(f"/_control/regions/{BANDUNG}", json=body)

    assert response.status_code == 422


@pytest.mark.parametrize("code", ["3273", "**", "32.7x"])
async def test_control_with_malformed_region_code_is_404(
    client: httpx.AsyncClient, code: str
) -> None:
    put = await client.put(f"/_control/regions/{code}", json={"state": "down"})
    get = await client.get(f"/_control/regions/{code}")

    assert (put.status_code, get.status_code) == (404, 404)


async def test_received_filter_with_malformed_region_is_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/_control/received", params={"region": "3273"})

    assert response.status_code == 422
    assert "32.73" in response.json()["detail"]


async def test_reset_restores_defaults(client: httpx.AsyncClient) -> None:
    await set_region(client, "*", "down")
    await set_region(client, BANDUNG, "up")
    await submit(client, BANDUNG, "key-1")
    await submit(client, BANDUNG, "key-1")
    await client.post("/_control/reject", json={"keys": ["bad-1"]})

    response = await client.post("/_control/reset")

    assert response.status_code == 200
    assert await received(client) == {"items": [], "duplicates": 0}
    assert (await client.get(f"/regions/{SURABAYA}/health")).status_code == 200
    assert (await client.get("/_control/regions/*")).json()["state"] == "up"
    assert (await submit(client, BANDUNG, "bad-1")).status_code == 201
    assert (await submit(client, BANDUNG, "key-1")).status_code == 201
