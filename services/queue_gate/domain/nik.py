"""NIK and No. KK rules: 16 ASCII digits, a known province, a real birth date, a serial."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from shared.regions import RegionRegistry, load_registry

_SIXTEEN_ASCII_DIGITS = re.compile(r"[0-9]{16}")
_WOMAN_DAY_OFFSET = 40
_CENTURIES = (1900, 2000)


class NikProblem(StrEnum):
    NOT_SIXTEEN_DIGITS = "not_sixteen_digits"
    UNKNOWN_PROVINCE = "unknown_province"
    INVALID_BIRTH_DATE = "invalid_birth_date"
    ZERO_SERIAL = "zero_serial"


_EXPLANATIONS: dict[NikProblem, str] = {
    NikProblem.NOT_SIXTEEN_DIGITS: "must be exactly 16 digits 0-9",
    NikProblem.UNKNOWN_PROVINCE: "does not start with a known province code",
    NikProblem.INVALID_BIRTH_DATE: (
        "digits 7-12 are not a birth date DDMMYY (women add 40 to the day)"
    ),
    NikProblem.ZERO_SERIAL: "must not end in serial 0000",
}


class InvalidNikError(ValueError):
    """What is wrong with a NIK or No. KK; the number itself is never part of the message."""

    def __init__(self, problem: NikProblem, *, subject: str = "NIK") -> None:
        self.problem = problem
        self.subject = subject
        super().__init__(f"{subject} {_EXPLANATIONS[problem]}")


def nik_problem(nik: str, registry: RegionRegistry | None = None) -> NikProblem | None:
    """The first rule the NIK breaks, or None when it is well formed.

    The region prefix is where the person was first registered, not where they live now,
    so it is never compared with the submission's region.
    """
    if _SIXTEEN_ASCII_DIGITS.fullmatch(nik) is None:
        return NikProblem.NOT_SIXTEEN_DIGITS
    if not _province_exists(nik, registry):
        return NikProblem.UNKNOWN_PROVINCE
    if not is_nik_birth_date(nik[6:12]):
        return NikProblem.INVALID_BIRTH_DATE
    if nik[12:] == "0000":
        return NikProblem.ZERO_SERIAL
    return None


def kk_number_problem(kk_number: str, registry: RegionRegistry | None = None) -> NikProblem | None:
    """The first rule the family card number breaks, or None when it is well formed."""
    if _SIXTEEN_ASCII_DIGITS.fullmatch(kk_number) is None:
        return NikProblem.NOT_SIXTEEN_DIGITS
    if not _province_exists(kk_number, registry):
        return NikProblem.UNKNOWN_PROVINCE
    return None


def validate_nik(nik: str, registry: RegionRegistry | None = None) -> str:
    problem = nik_problem(nik, registry)
    if problem is not None:
        raise InvalidNikError(problem)
    return nik


def validate_kk_number(kk_number: str, registry: RegionRegistry | None = None) -> str:
    problem = kk_number_problem(kk_number, registry)
    if problem is not None:
        raise InvalidNikError(problem, subject="No. KK")
    return kk_number


def is_nik_birth_date(ddmmyy: str) -> bool:
    """DDMMYY with 40 added to the day for women, valid in the 1900s or the 2000s."""
    if re.fullmatch(r"[0-9]{6}", ddmmyy) is None:
        return False
    day, month, year = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    if day > _WOMAN_DAY_OFFSET:
        day -= _WOMAN_DAY_OFFSET
    # The two-digit year does not say its century; a date real in either one is accepted.
    return any(_is_calendar_date(century + year, month, day) for century in _CENTURIES)


def _is_calendar_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _province_exists(number: str, registry: RegionRegistry | None) -> bool:
    return (load_registry() if registry is None else registry).has_province(number[:2])
