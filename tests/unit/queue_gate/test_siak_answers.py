"""What an HTTP answer from SIAK means for a submission, by the written contract."""

from __future__ import annotations

import json

import pytest

from services.queue_gate.domain.siak_answer import (
    Delivered,
    Misconfigured,
    Refused,
    SiakAnswer,
    Unacknowledged,
    Unavailable,
    answer_for,
)

KEY = "tkt_7371_1"
NIK = "7371014509900001"


def answer(status: int, body: bytes) -> SiakAnswer:
    return answer_for(status, body, idempotency_key=KEY)


def test_a_2xx_acknowledging_the_key_is_delivered_with_siaks_reference() -> None:
    acknowledged = b'{"key": "tkt_7371_1", "siak_reference": "SIM-7371-00000001"}'

    assert answer(201, acknowledged) == Delivered("SIM-7371-00000001")
    assert answer(200, b'{"key": "tkt_7371_1", "duplicate": true}') == Delivered(None)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"<!doctype html><title>SIAK SSO</title>",
        b"",
        b"{}",
        b'{"status": "ok"}',
        b'{"siak_reference": "SIAK-7371-1"}',
        b'{"key": "tkt_7371_2", "siak_reference": "SIAK-7371-2"}',
        b'["tkt_7371_1"]',
    ],
)
def test_a_2xx_that_does_not_acknowledge_the_key_is_not_delivered(body: bytes) -> None:
    result = answer(200, body)

    assert result == Unacknowledged("unacknowledged_http_200")
    assert isinstance(result, Unavailable)  # retried with back-off like any failure


@pytest.mark.parametrize(
    "reference", ["R\\u00001", "R\\ud8001", "R\\u001b[31m", "R 1", "<b>R</b>", "R\\u00e9"]
)
def test_a_reference_not_shaped_like_one_is_not_kept(reference: str) -> None:
    """A NUL or a lone surrogate cannot even be stored; any other odd character may be
    SIAK echoing something else than a reference."""
    body = b'{"key": "tkt_7371_1", "siak_reference": "%s"}' % reference.encode()

    assert answer(201, body) == Delivered(None)


@pytest.mark.parametrize(
    "reference",
    [
        "SIM-7371-00000001",  # the simulator's
        "3578-LT-12012021-0001",  # shaped like a Dukcapil document number
        "R/73.71_2026:11-30",
        "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "9" * 15,
    ],
)
def test_a_reference_of_codes_digits_and_separators_is_kept(reference: str) -> None:
    body = b'{"key": "tkt_7371_1", "siak_reference": "%s"}' % reference.encode()

    assert answer(201, body) == Delivered(reference)


@pytest.mark.parametrize(
    "reference",
    [
        NIK,
        f"SIM-{NIK}",
        "KK/7371012345678901",
        "7371.0145.0990.0001",  # the NIK, dotted
        "7371-014509-900001",
        "73.71/01.45.09/90:00_01",
        "SIM-7371-2026.11_30:0001",  # region, date and serial: 16 digits all the same
    ],
)
def test_a_reference_holding_16_digits_between_separators_is_not_kept(reference: str) -> None:
    """SIAK may echo a NIK or No. KK where its reference should be, written with separators or
    not: personal data, not kept."""
    body = b'{"key": "tkt_7371_1", "siak_reference": "%s"}' % reference.encode()

    assert answer(201, body) == Delivered(None)


@pytest.mark.parametrize(
    "reference", ["SITI.AMINAH/2021-10-19", "7371-Aminah", "SIAK-7371-1", "budi_s"]
)
def test_a_reference_holding_a_word_is_not_kept(reference: str) -> None:
    """Four letters in a row may be a name: a reference's letters are short codes."""
    body = b'{"key": "tkt_7371_1", "siak_reference": "%s"}' % reference.encode()

    assert answer(201, body) == Delivered(None)


def test_an_oversized_or_odd_reference_is_not_kept() -> None:
    odd = b'{"key": "tkt_7371_1", "siak_reference": 7371}'
    long = b'{"key": "tkt_7371_1", "siak_reference": "' + b"R" * 101 + b'"}'

    assert answer(201, odd) == Delivered(None)
    assert answer(201, long) == Delivered(None)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_misconfiguration_never_a_delivery(status: int) -> None:
    assert answer(status, b'{"key": "tkt_7371_1"}') == Misconfigured(status)


@pytest.mark.parametrize("status", [401, 403, 404, 405, 409, 410, 415])
def test_answers_saying_the_gate_is_wrong_are_a_misconfiguration_not_a_refusal(
    status: int,
) -> None:
    result = answer(status, b'{"reason": "NIK tidak ditemukan"}')

    assert result == Misconfigured(status)
    assert isinstance(result, Misconfigured)
    assert result.reason == f"siak_misconfigured_http_{status}"


@pytest.mark.parametrize("status", [400, 413, 422])
def test_a_refusal_of_the_content_parks_it_with_its_code_and_status_only(status: int) -> None:
    refusal = answer(status, b'{"reason": "data kependudukan tidak cocok"}')

    assert refusal == Refused(f"siak_refused_{status}")
    assert isinstance(refusal, Refused) and refusal.reason == f"siak_refused_{status}"


@pytest.mark.parametrize(
    "body",
    [
        {"reason": f"NIK {NIK} atas nama Siti Aminah tidak terdaftar"},
        {"detail": "nama Siti Aminah tidak sesuai dengan NIK"},
        {
            "detail": [
                {
                    "loc": ["body", "applicant", "nik"],
                    "msg": f"NIK {NIK} atas nama Siti Aminah tidak terdaftar",
                    "input": NIK,
                },
                {"loc": ["body", "details", "SitiAminah"], "msg": "tidak dikenal"},
            ]
        },
    ],
    ids=["reason", "detail", "field-errors"],
)
def test_a_refusal_echoing_the_nik_and_name_keeps_neither(body: dict[str, object]) -> None:
    """Redaction can take out digits and quotes, not a name SIAK writes in its own words or
    a key the applicant chose: nothing of SIAK's answer is kept but its status."""
    refusal = answer(422, json.dumps(body).encode())

    assert isinstance(refusal, Refused)
    assert refusal.reason == "siak_refused_422"


def test_a_refusal_without_a_readable_reason_is_its_code() -> None:
    refusal = answer(422, b"<html>")

    assert isinstance(refusal, Refused) and refusal.reason == "siak_refused_422"


@pytest.mark.parametrize("status", [100, 408, 425, 429, 500, 502, 503, 504, 600])
def test_timeouts_throttling_and_5xx_are_worth_retrying(status: int) -> None:
    assert answer(status, b"{}") == Unavailable(f"http_{status}")
