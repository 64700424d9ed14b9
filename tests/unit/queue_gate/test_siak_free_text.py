"""SIAK's explanation of a refusal is kept only without what may be personal data."""

from __future__ import annotations

import json

import pytest

from services.queue_gate.domain.siak_free_text import (
    MAX_MESSAGE_LENGTH,
    redacted,
    refusal_message,
)
from services.siak_sim.app import validation_errors_echoing

NIK, NAME = "7371014509900001", "Siti Aminah"

FASTAPI_422 = {
    "detail": [
        # As the simulator answers, echoing the applicant as FastAPI's validators do.
        *validation_errors_echoing({"applicant": {"nik": NIK, "name": NAME}}),
        {
            "type": "missing",
            "loc": ["body", "details", 0, "Siti's own key"],
            "msg": "Field required",
            "input": {"nama_ibu": "Aminah"},
        },
    ]
}


def test_a_fastapi_422_echoing_the_nik_and_name_keeps_only_fields_and_words() -> None:
    message = refusal_message(FASTAPI_422)

    assert (
        message
        == (
            "applicant.nik: Value error, NIK # tidak terdaftar di SIAK; "
            "applicant.name: Value error, nama … tidak sesuai dengan NIK; "
            "details: Field required"
        )[:MAX_MESSAGE_LENGTH]
    )
    for personal in (NIK, "Siti", "Aminah", "4509"):
        assert personal not in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NIK 7371014509900001 tidak ditemukan", "NIK # tidak ditemukan"),
        ("lahir 1990-09-05, KK 7371010101010001", "lahir #-#-#, KK #"),
        ('nama "Siti Aminah" tidak cocok', "nama … tidak cocok"),
        ("nama `Siti` dan 'Aminah' tidak cocok", "nama … dan … tidak cocok"),
        ("nama \u201cSiti Aminah\u201d tidak cocok", "nama … tidak cocok"),
        ("nama 'Siti Aminah tanpa penutup", "nama …"),
        ("kontak siti@example.id ditolak", "kontak … ditolak"),
        ("baris\ndua\tdan\x00nul", "baris dua dan nul"),
        ("bad \ud800 field \udfff", "bad field"),
        ("   data   kependudukan   tidak cocok  ", "data kependudukan tidak cocok"),
    ],
)
def test_quoted_text_digit_runs_addresses_and_control_characters_are_taken_out(
    text: str, expected: str
) -> None:
    assert redacted(text) == expected


def test_a_long_explanation_is_capped() -> None:
    message = redacted("tidak cocok " * 100)

    assert len(message) == MAX_MESSAGE_LENGTH
    assert message.endswith("…")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"reason": "data kependudukan tidak cocok", "detail": "x"},
            "data kependudukan tidak cocok",
        ),
        ({"detail": "NIK 7371014509900001 ganda"}, "NIK # ganda"),
        (
            {"detail": [{"loc": ["body", "nik"], "type": "string_too_short"}]},
            "nik: string_too_short",
        ),
        ({"detail": [NIK, {"msg": "invalid"}]}, "invalid"),
        ({"reason": 7371014509900001}, ""),
        ({"detail": {"nik": NIK}}, ""),
        ({}, ""),
    ],
)
def test_the_explanation_comes_from_reason_or_detail_and_nothing_else(
    body: dict[str, object], expected: str
) -> None:
    assert refusal_message(body) == expected


def test_nothing_of_the_body_but_the_explanation_is_kept() -> None:
    body = {"reason": "ditolak", "applicant": {"nik": NIK, "name": NAME}, "input": NIK}

    assert refusal_message(body) == "ditolak"
    assert NIK not in json.dumps(refusal_message(FASTAPI_422))
