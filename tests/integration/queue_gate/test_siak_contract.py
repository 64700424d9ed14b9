"""The SIAK answer contract (docs/decisions/0012), end to end over loopback: the gate's real
HTTP client against the real simulator, one case per kind of answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.queue_gate.adapters.siak_http import HttpSiakClient, siak_session
from services.queue_gate.domain.siak_answer import (
    Delivered,
    Misconfigured,
    Refused,
    Unacknowledged,
    Unavailable,
)
from services.siak_sim.state import RegionState, SimulatedSiak
from tests.conftest import free_port

pytestmark = pytest.mark.integration

REGION = "33.02"
PAYLOAD = (
    b'{"region_code":"33.02","service_type":"akta_kelahiran",'
    b'"applicant":{"nik":"3302014509900001","name":"Siti Aminah"}}'
)
TICKET = "tkt_contract"


@pytest.fixture
async def client(siak_url: str) -> AsyncIterator[HttpSiakClient]:
    async with siak_session(connections=2) as session:
        yield HttpSiakClient(session, base_url=siak_url, timeout_s=5)


async def test_a_recorded_submission_and_its_resend_are_delivered_with_one_reference(
    siak: SimulatedSiak, client: HttpSiakClient
) -> None:
    first = await client.submit(REGION, TICKET, PAYLOAD)
    again = await client.submit(REGION, TICKET, PAYLOAD)

    [recorded] = siak.received(REGION)
    assert first == again == Delivered(recorded.siak_reference)
    assert siak.duplicates(REGION) == 1


async def test_a_2xx_without_acknowledging_the_key_is_retried_not_delivered(
    siak: SimulatedSiak, client: HttpSiakClient
) -> None:
    siak.set_condition(REGION, RegionState.UNACKNOWLEDGED)

    answer = await client.submit(REGION, TICKET, PAYLOAD)

    assert answer == Unacknowledged("unacknowledged_http_200")


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (RegionState.REDIRECT, 302),  # the 302 itself, not the login page behind it
        (RegionState.UNAUTHORIZED, 401),
        (RegionState.FORBIDDEN, 403),
        (RegionState.NOT_FOUND, 404),
        (RegionState.METHOD_NOT_ALLOWED, 405),
        (RegionState.KEY_CONFLICT, 409),
        (RegionState.GONE, 410),
    ],
)
async def test_answers_saying_the_gate_is_wrong_are_a_misconfiguration(
    siak: SimulatedSiak, client: HttpSiakClient, fault: RegionState, status: int
) -> None:
    siak.set_condition(REGION, fault)

    answer = await client.submit(REGION, TICKET, PAYLOAD)

    assert answer == Misconfigured(status)
    assert siak.received(REGION) == []


async def test_a_rejected_key_is_refused_with_a_code_and_nothing_of_siaks_words(
    siak: SimulatedSiak, client: HttpSiakClient
) -> None:
    siak.reject_keys([TICKET], reason="data kependudukan tidak cocok")

    answer = await client.submit(REGION, TICKET, PAYLOAD)

    assert answer == Refused("siak_refused_422")


async def test_a_refusal_echoing_the_nik_and_name_is_refused_without_them(
    siak: SimulatedSiak, client: HttpSiakClient
) -> None:
    siak.set_condition(REGION, RegionState.INVALID)

    answer = await client.submit(REGION, TICKET, PAYLOAD)

    assert answer == Refused("siak_refused_422")


async def test_a_body_too_large_for_siak_is_refused(client: HttpSiakClient) -> None:
    too_large = b'{"blob":"' + b"x" * 64 * 1024 + b'"}'

    answer = await client.submit(REGION, TICKET, too_large)

    assert isinstance(answer, Refused) and answer.code == "siak_refused_413"


async def test_a_key_siak_cannot_take_is_refused(client: HttpSiakClient) -> None:
    answer = await client.submit(REGION, "t" * 201, PAYLOAD)

    assert isinstance(answer, Refused) and answer.code == "siak_refused_400"


@pytest.mark.parametrize(
    ("state", "reason"),
    [(RegionState.ERROR, "http_500"), (RegionState.DOWN, "http_503")],
)
async def test_siak_failing_or_down_is_unavailable(
    siak: SimulatedSiak, client: HttpSiakClient, state: RegionState, reason: str
) -> None:
    siak.set_condition(REGION, state)

    assert await client.submit(REGION, TICKET, PAYLOAD) == Unavailable(reason)


async def test_no_answer_in_time_or_nobody_listening_is_unavailable(
    siak: SimulatedSiak, siak_url: str
) -> None:
    siak.set_condition(REGION, RegionState.SLOW, latency_ms=2_000)
    async with siak_session(connections=2) as session:
        slow = HttpSiakClient(session, base_url=siak_url, timeout_s=0.2)
        nobody = HttpSiakClient(session, base_url=f"http://127.0.0.1:{free_port()}", timeout_s=5)
        timed_out = await slow.submit(REGION, TICKET, PAYLOAD)
        refused_connection = await nobody.submit(REGION, TICKET, PAYLOAD)

    assert timed_out == Unavailable("timeout")
    assert isinstance(refused_connection, Unavailable)
    assert refused_connection.reason.startswith("Client")
