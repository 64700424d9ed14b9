"""Contact details: Indonesian mobile numbers in E.164 form and plain e-mail addresses."""

from __future__ import annotations

import pytest

from services.queue_gate.domain.contact import (
    InvalidContactError,
    normalise_email,
    normalise_mobile_number,
)


@pytest.mark.parametrize(
    "phone",
    ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 3456.7890"],
)
def test_mobile_numbers_in_local_or_international_notation_become_e164(phone: str) -> None:
    assert normalise_mobile_number(phone) == "+6281234567890"


@pytest.mark.parametrize(
    ("phone", "e164"),
    [("0811234567", "+62811234567"), ("+62812345678901", "+62812345678901")],
)
def test_mobile_numbers_of_ten_to_thirteen_local_digits_are_accepted(phone: str, e164: str) -> None:
    assert normalise_mobile_number(phone) == e164


@pytest.mark.parametrize(
    "phone",
    [
        "0411-123456",  # a Makassar landline
        "08123",
        "08123456789012",
        "0801234567",
        "+6581234567",
        "\u0660\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
        "0812345678x",
        "",
    ],
)
def test_landlines_foreign_numbers_and_non_ascii_digits_are_rejected(phone: str) -> None:
    with pytest.raises(InvalidContactError) as raised:
        normalise_mobile_number(phone)

    assert phone.strip() == "" or phone not in str(raised.value)


def test_an_email_keeps_its_local_part_and_lowercases_its_domain() -> None:
    assert normalise_email("  Andi.Tenri+kia@Disdukcapil.Makassar.GO.ID ") == (
        "Andi.Tenri+kia@disdukcapil.makassar.go.id"
    )


@pytest.mark.parametrize(
    "email",
    [
        "andi",
        "andi@",
        "@contoh.id",
        "andi@contoh",
        "an di@contoh.id",
        "andi..t@contoh.id",
        ".andi@contoh.id",
        "andi@-contoh.id",
        f"{'a' * 65}@contoh.id",
        f"a@{'b' * 250}.id",
    ],
)
def test_malformed_email_addresses_are_rejected(email: str) -> None:
    with pytest.raises(InvalidContactError):
        normalise_email(email)
