"""The SIAK client over real HTTP, against the simulator: each kind of answer, and no answer."""

from __future__ import annotations

import pytest

from services.queue_gate.adapters.siak_http import HttpSiakClient, siak_session
from services.queue_gate.domain.siak_answer import Delivered, Refused, Unavailable
from services.siak_sim.state import RegionState, SimulatedSiak
from tests.conftest import free_port

pytestmark = pytest.mark.integration

REGION = "33.01"
PAYLOAD = b'{"service_type":"akta_kelahiran"}'


async def test_siak_taking_refusing_and_failing_gives_the_three_answers(
    siak: SimulatedSiak, siak_url: str
) -> None:
    siak.reject_keys(["tkt_refused"], reason="NIK tidak ditemukan")
    async with siak_session(connections=2) as session:
        client = HttpSiakClient(session, base_url=siak_url, timeout_s=5)
        taken = await client.submit(REGION, "tkt_taken", PAYLOAD)
        again = await client.submit(REGION, "tkt_taken", PAYLOAD)
        refused = await client.submit(REGION, "tkt_refused", PAYLOAD)
        siak.set_condition(REGION, RegionState.ERROR)
        failing = await client.submit(REGION, "tkt_later", PAYLOAD)

    assert isinstance(taken, Delivered) and taken.siak_reference
    assert again == taken  # the resend is recognised: same record, same reference
    assert isinstance(refused, Refused) and "NIK tidak ditemukan" in refused.reason
    assert isinstance(failing, Unavailable) and failing.reason.startswith("http_5")
    assert [item.key for item in siak.received(REGION)] == ["tkt_taken"]


async def test_no_siak_listening_or_a_slow_one_is_unavailable(
    siak: SimulatedSiak, siak_url: str
) -> None:
    siak.set_condition(REGION, RegionState.SLOW, latency_ms=2_000)
    async with siak_session(connections=2) as session:
        nobody = HttpSiakClient(session, base_url=f"http://127.0.0.1:{free_port()}", timeout_s=5)
        slow = HttpSiakClient(session, base_url=siak_url, timeout_s=0.2)
        refused_connection = await nobody.submit(REGION, "tkt_a", PAYLOAD)
        timed_out = await slow.submit(REGION, "tkt_b", PAYLOAD)

    assert isinstance(refused_connection, Unavailable)
    assert timed_out == Unavailable("timeout")
