"""Idempotency-Key: the same body gets the same ticket again, a different body a conflict."""

from __future__ import annotations

from typing import Any

import pytest

from services.queue_gate.domain.idempotency import (
    IdempotencyConflictError,
    InvalidIdempotencyKeyError,
    ensure_same_body,
    validate_idempotency_key,
)
from services.queue_gate.domain.submission import SubmissionRequest, submission_fingerprint

FIRST_BODY: dict[str, Any] = {
    "region_code": "73.71",
    "service_type": "kia",
    "applicant": {"nik": "7371011203150002", "name": "Baso"},
    "details": {"parent_nik": "7371015708900001", "photo": False},
}


def fingerprint(data: dict[str, Any]) -> str:
    return submission_fingerprint(SubmissionRequest.model_validate(data))


def test_a_resent_body_has_the_same_fingerprint_whatever_its_key_order_or_spacing() -> None:
    resent = {
        "details": {"photo": False, "parent_nik": "7371015708900001"},
        "applicant": {"name": " Baso ", "nik": "7371011203150002"},
        "service_type": "kia",
        "region_code": "73.71",
        "contact": None,
    }

    assert fingerprint(resent) == fingerprint(FIRST_BODY)
    ensure_same_body(
        stored_fingerprint=fingerprint(FIRST_BODY), presented_fingerprint=fingerprint(resent)
    )


@pytest.mark.parametrize(
    "change",
    [
        {"service_type": "akta_kelahiran"},
        {"region_code": "73.06"},
        {"details": {"parent_nik": "7371015708900001", "photo": True}},
        {"applicant": {"nik": "7371011203150002", "name": "Baso Daeng"}},
    ],
)
def test_a_different_body_under_the_same_key_is_a_conflict(change: dict[str, Any]) -> None:
    with pytest.raises(IdempotencyConflictError):
        ensure_same_body(
            stored_fingerprint=fingerprint(FIRST_BODY),
            presented_fingerprint=fingerprint({**FIRST_BODY, **change}),
        )


def test_a_fingerprint_is_a_sha256_hex_digest() -> None:
    assert len(fingerprint(FIRST_BODY)) == 64
    assert set(fingerprint(FIRST_BODY)) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    "key", ["8d3c0a5e-4f7b-4c1e-9a53-2b5f0d6e7c81", "portal:2021-10-15:0042", "k"]
)
def test_visible_ascii_keys_up_to_255_characters_are_valid(key: str) -> None:
    assert validate_idempotency_key(key) == key
    assert validate_idempotency_key("k" * 255)


@pytest.mark.parametrize("key", ["", "k" * 256, "has space", "kunci\u00e9", "tab\there"])
def test_empty_overlong_or_non_ascii_keys_are_rejected(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKeyError):
        validate_idempotency_key(key)
