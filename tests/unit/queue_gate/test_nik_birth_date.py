"""The birth date inside a NIK: DDMMYY, women add 40 to the day, either century will do."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.queue_gate.domain.nik import is_nik_birth_date, nik_problem, validate_nik
from shared.regions import load_registry

PROVINCES = sorted(province.code for province in load_registry().provinces())


def nik_for(birth: date, *, woman: bool, province: str = "73", serial: int = 1) -> str:
    day = birth.day + 40 if woman else birth.day
    return f"{province}7101{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.booleans(),
    st.sampled_from(PROVINCES),
    st.integers(1, 9999),
)
def test_every_real_birth_date_is_accepted_for_men_and_women(
    birth: date, woman: bool, province: str, serial: int
) -> None:
    nik = nik_for(birth, woman=woman, province=province, serial=serial)

    assert nik_problem(nik) is None
    assert validate_nik(nik) == nik


@pytest.mark.parametrize(
    ("ddmmyy", "valid"),
    [
        ("290200", True),  # 2000 was a leap year
        ("290204", True),
        ("290201", False),
        ("310201", False),
        ("310490", False),
        ("000190", False),
        ("400190", False),
        ("410190", True),
        ("710190", True),
        ("720190", False),
        ("691190", True),
        ("711190", False),
        ("011390", False),
        ("010090", False),
    ],
)
def test_birth_dates_follow_the_calendar_with_forty_added_for_women(
    ddmmyy: str, valid: bool
) -> None:
    assert is_nik_birth_date(ddmmyy) is valid
