"""The applicant key stands in for the NIK wherever submissions are ordered or stored."""

from __future__ import annotations

import pytest

from services.queue_gate.domain.applicant_key import applicant_key

SECRET = b"k" * 32
NIK = "7371015708900001"


def test_the_same_nik_under_the_same_secret_gives_the_same_key() -> None:
    assert applicant_key(NIK, secret=SECRET) == applicant_key(NIK, secret=SECRET)


def test_different_niks_or_secrets_give_different_keys() -> None:
    assert applicant_key(NIK, secret=SECRET) != applicant_key("7371015708900002", secret=SECRET)
    assert applicant_key(NIK, secret=SECRET) != applicant_key(NIK, secret=b"s" * 32)


def test_the_key_does_not_contain_the_nik() -> None:
    key = applicant_key(NIK, secret=SECRET)

    assert NIK not in key
    assert len(key) == 64


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        applicant_key(NIK, secret=b"short")
