"""The SIAK answer contract (docs/decisions/0012), end to end over loopback: the gate's real
HTTP client against the real simulator, one case per kind of answer."""

from __future__ import annotations

import pytest

from services.queue_gate.adapters.siak_http import HttpSiakClient, siak_session
from services.queue_gate.domain.siak_answer import (
    Delivered,
    Misconfigured,
    SiakAnswer,
    Unacknowledged,
)
from services.siak_sim.state import RegionState, SimulatedSiak

pytestmark = pytest.mark.integration

REGION = "33.02"
NIK = "3302014509900001"
PAYLOAD = (
    b'{"region_code":"33.02","service_type":"akta_kelahiran",'
    b'"applicant":{"nik":"3302014509900001","name":"Siti Aminah"}}'
)


async def send(siak_url: str, ticket_id: str = "tkt_contract") -> SiakAnswer:
    async with siak_session(connections=1) as session:
        client = HttpSiakClient(session, base_url=siak_url, timeout_s=5)
        return await client.submit(REGION, ticket_id, PAYLOAD)


async def test_a_recorded_submission_is_delivered_with_siaks_reference(
    siak: SimulatedSiak, siak_url: str
) -> None:
    answer = await send(siak_url)

    [recorded] = siak.received(REGION)
    assert answer == Delivered(recorded.siak_reference)


async def test_a_redirect_to_a_login_page_is_not_followed_nor_delivered(
    siak: SimulatedSiak, siak_url: str
) -> None:
    siak.set_condition(REGION, RegionState.REDIRECT)

    answer = await send(siak_url)

    assert answer == Misconfigured(302)  # the 302 itself, not the login page behind it
    assert siak.received(REGION) == []


async def test_a_2xx_without_acknowledging_the_key_is_retried_not_delivered(
    siak: SimulatedSiak, siak_url: str
) -> None:
    siak.set_condition(REGION, RegionState.UNACKNOWLEDGED)

    answer = await send(siak_url)

    assert answer == Unacknowledged("unacknowledged_http_200")
