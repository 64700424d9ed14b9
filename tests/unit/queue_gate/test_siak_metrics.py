"""Every SIAK answer is counted, and a misconfigured one raises an alert until SIAK judges a
submission again."""

from __future__ import annotations

from prometheus_client import REGISTRY

from services.queue_gate.adapters.prometheus_metrics import InstrumentedSiakClient
from services.queue_gate.domain.siak_answer import (
    Misconfigured,
    Refused,
    Unacknowledged,
    Unavailable,
)
from tests.unit.queue_gate.fakes import FakeSiak

REGION, OTHER = "73.09", "73.10"  # regions no other unit test sends to


def misconfigured(region: str, status: int) -> float | None:
    return REGISTRY.get_sample_value(
        "queue_gate_siak_misconfigured", {"region": region, "status": str(status)}
    )


def answers(region: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "queue_gate_siak_answers_total", {"region": region, "outcome": outcome}
    )
    return value or 0.0


async def test_a_misconfigured_answer_raises_the_alert_until_siak_judges_a_submission() -> None:
    siak = FakeSiak()
    client = InstrumentedSiakClient(siak)
    siak.script("tkt_1", Misconfigured(401), Misconfigured(404), Unavailable("http_503"))
    siak.script("tkt_2", Misconfigured(401))
    counted_before = answers(REGION, "misconfigured")

    await client.submit(REGION, "tkt_1", b"{}")
    await client.submit(REGION, "tkt_1", b"{}")
    await client.submit(OTHER, "tkt_2", b"{}")
    assert (misconfigured(REGION, 401), misconfigured(REGION, 404)) == (1.0, 1.0)

    await client.submit(REGION, "tkt_1", b"{}")  # unavailable: no news of the configuration
    assert misconfigured(REGION, 404) == 1.0

    await client.submit(REGION, "tkt_1", b"{}")  # delivered
    assert (misconfigured(REGION, 401), misconfigured(REGION, 404)) == (0.0, 0.0)
    assert misconfigured(OTHER, 401) == 1.0
    assert answers(REGION, "misconfigured") == counted_before + 2


async def test_a_refusal_also_lowers_the_alert() -> None:
    siak = FakeSiak()
    client = InstrumentedSiakClient(siak)
    siak.script("tkt_3", Misconfigured(410), Refused("siak_refused_422"))

    await client.submit(OTHER, "tkt_3", b"{}")
    assert misconfigured(OTHER, 410) == 1.0
    await client.submit(OTHER, "tkt_3", b"{}")

    assert misconfigured(OTHER, 410) == 0.0


async def test_an_unacknowledged_2xx_is_counted_apart() -> None:
    siak = FakeSiak()
    client = InstrumentedSiakClient(siak)
    siak.script("tkt_4", Unacknowledged("unacknowledged_http_200"))
    before = answers("73.11", "unacknowledged")

    answer = await client.submit("73.11", "tkt_4", b"{}")

    assert isinstance(answer, Unacknowledged)
    assert answers("73.11", "unacknowledged") == before + 1
