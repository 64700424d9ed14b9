"""What an HTTP answer from SIAK means for a submission."""

from __future__ import annotations

import pytest

from services.queue_gate.adapters.siak_http import answer_for
from services.queue_gate.ports import Delivered, Refused, Unavailable


def test_a_2xx_is_delivered_with_siaks_reference_when_it_gives_one() -> None:
    assert answer_for(201, b'{"siak_reference": "SIAK-7371-1"}') == Delivered("SIAK-7371-1")
    assert answer_for(200, b"not json") == Delivered(None)


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_a_4xx_is_a_refusal_on_the_merits_with_siaks_reason(status: int) -> None:
    answer = answer_for(status, b'{"reason": "NIK tidak ditemukan"}')

    assert answer == Refused(f"http_{status}: NIK tidak ditemukan")


def test_a_refusal_without_a_readable_reason_names_the_status() -> None:
    assert answer_for(422, b"<html>") == Refused("http_422")


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_timeouts_throttling_and_5xx_are_worth_retrying(status: int) -> None:
    assert answer_for(status, b"{}") == Unavailable(f"http_{status}")
