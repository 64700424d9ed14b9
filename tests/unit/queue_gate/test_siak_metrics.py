"""Every SIAK answer is counted, by what it means for the submission."""

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

REGION = "73.09"  # a region no other unit test sends to


def answers(region: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "queue_gate_siak_answers_total", {"region": region, "outcome": outcome}
    )
    return value or 0.0


async def test_every_answer_is_counted_by_what_it_means_for_the_submission() -> None:
    siak = FakeSiak()
    client = InstrumentedSiakClient(siak)
    siak.script(
        "tkt_1", Misconfigured(401), Misconfigured(404), Unavailable("http_503"), Refused("x")
    )
    before = {
        outcome: answers(REGION, outcome)
        for outcome in ("misconfigured", "unavailable", "refused", "delivered")
    }

    for _ in range(5):
        await client.submit(REGION, "tkt_1", b"{}")

    assert {outcome: answers(REGION, outcome) - count for outcome, count in before.items()} == {
        "misconfigured": 2,
        "unavailable": 1,
        "refused": 1,
        "delivered": 1,
    }


async def test_an_unacknowledged_2xx_is_counted_apart() -> None:
    siak = FakeSiak()
    client = InstrumentedSiakClient(siak)
    siak.script("tkt_4", Unacknowledged("unacknowledged_http_200"))
    before = answers("73.11", "unacknowledged")

    answer = await client.submit("73.11", "tkt_4", b"{}")

    assert isinstance(answer, Unacknowledged)
    assert answers("73.11", "unacknowledged") == before + 1
