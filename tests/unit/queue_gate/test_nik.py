"""NIK and No. KK rules: ASCII digits only, a known province, a real birth date, a serial."""

from __future__ import annotations

import calendar
import re

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from services.queue_gate.domain.nik import (
    InvalidNikError,
    NikProblem,
    kk_number_problem,
    nik_problem,
    validate_kk_number,
    validate_nik,
)
from shared.regions import load_registry

PROVINCES = sorted(province.code for province in load_registry().provinces())
ASCII_DIGITS = st.text(alphabet="0123456789", min_size=16, max_size=16)
NON_ASCII_DIGITS = st.characters(categories=["Nd"]).filter(lambda char: not char.isascii())

# Sulawesi Selatan, Kota Makassar, a kecamatan; a woman born 17 August 1990; serial 0001.
MAKASSAR_WOMAN = "7371015708900001"


def expected_problem(nik: str) -> NikProblem | None:
    """The rule written out again independently, with calendar month lengths."""
    if nik[:2] not in PROVINCES:
        return NikProblem.UNKNOWN_PROVINCE
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    day = day - 40 if day > 40 else day
    month_lengths = (
        calendar.monthrange(century + year, month)[1] if 1 <= month <= 12 else 0
        for century in (1900, 2000)
    )
    if not 1 <= day <= max(month_lengths):
        return NikProblem.INVALID_BIRTH_DATE
    if nik[12:] == "0000":
        return NikProblem.ZERO_SERIAL
    return None


def assembled_nik(province: str, day: int, month: int, year: int, serial: int) -> str:
    return f"{province}0101{day:02d}{month:02d}{year:02d}{serial:04d}"


nik_parts = st.builds(
    assembled_nik,
    st.sampled_from(PROVINCES) | st.integers(0, 99).map(lambda number: f"{number:02d}"),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 9999),
)


@given(ASCII_DIGITS | nik_parts)
@example("7371012902000001")
@example("7371012902010001")
@example("7371016902000001")
def test_sixteen_ascii_digits_are_judged_by_province_birth_date_and_serial(nik: str) -> None:
    assert nik_problem(nik) == expected_problem(nik)


@given(st.integers(0, 15), NON_ASCII_DIGITS)
def test_a_non_ascii_digit_anywhere_is_rejected(position: int, digit: str) -> None:
    nik = MAKASSAR_WOMAN[:position] + digit + MAKASSAR_WOMAN[position + 1 :]

    assert nik_problem(nik) is NikProblem.NOT_SIXTEEN_DIGITS
    assert kk_number_problem(nik) is NikProblem.NOT_SIXTEEN_DIGITS


@pytest.mark.parametrize(
    "nik",
    [
        "\u0667\u0663\u0667\u0661\u0660\u0661\u0665\u0667\u0660\u0668\u0669\u0660"
        "\u0660\u0660\u0660\u0661",
        "\uff17\uff13\uff17\uff11\uff10\uff11\uff15\uff17\uff10\uff18\uff19\uff10"
        "\uff10\uff10\uff10\uff11",
        MAKASSAR_WOMAN[:15],
        MAKASSAR_WOMAN + "1",
        MAKASSAR_WOMAN + "\n",
        f" {MAKASSAR_WOMAN}",
        "7371-0157-0890-0001",
        "",
    ],
)
def test_anything_but_exactly_sixteen_ascii_digits_is_rejected(nik: str) -> None:
    assert nik_problem(nik) is NikProblem.NOT_SIXTEEN_DIGITS


def test_serial_0000_is_rejected_and_0001_accepted() -> None:
    assert nik_problem(MAKASSAR_WOMAN[:12] + "0000") is NikProblem.ZERO_SERIAL
    assert nik_problem(MAKASSAR_WOMAN[:12] + "0001") is None


@pytest.mark.parametrize("province", ["00", "10", "54", "99"])
def test_a_province_prefix_outside_the_registry_is_rejected(province: str) -> None:
    assert nik_problem(province + MAKASSAR_WOMAN[2:]) is NikProblem.UNKNOWN_PROVINCE


def test_the_region_after_the_province_is_not_checked_against_anything() -> None:
    # A NIK keeps the region of first registration, even one since split or renumbered.
    assert nik_problem("7399995708900001") is None


@given(ASCII_DIGITS | nik_parts)
def test_errors_name_the_problem_without_repeating_the_nik(nik: str) -> None:
    problem = nik_problem(nik)
    assume(problem is not None)

    with pytest.raises(InvalidNikError) as raised:
        validate_nik(nik)

    assert raised.value.problem is problem
    assert str(raised.value).startswith("NIK ")
    assert re.search(r"[0-9]{5}", str(raised.value)) is None


def test_kk_number_needs_sixteen_ascii_digits_and_a_known_province_only() -> None:
    assert kk_number_problem("7371010000000000") is None
    assert kk_number_problem("1071010000000000") is NikProblem.UNKNOWN_PROVINCE
    with pytest.raises(InvalidNikError, match=r"^No\. KK must be exactly 16 digits 0-9$"):
        validate_kk_number("737101000000000")
