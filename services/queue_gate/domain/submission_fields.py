"""Field checks of the intake body, raising errors that pydantic reports under the field's path."""

from __future__ import annotations

import unicodedata

from pydantic import JsonValue
from pydantic_core import PydanticCustomError

from services.queue_gate.domain.contact import (
    InvalidContactError,
    normalise_email,
    normalise_mobile_number,
)
from services.queue_gate.domain.details import (
    DetailsOutOfBoundsError,
    check_details_bounds,
    check_details_shape,
)
from services.queue_gate.domain.nik import InvalidNikError, validate_kk_number, validate_nik
from shared.regions import load_registry

MAX_NAME_LENGTH = 100
# Control, format, private-use and unassigned characters, and line or paragraph separators.
_FORBIDDEN_IN_NAMES = ("C", "Zl", "Zp")


def checked_region_code(code: str) -> str:
    if code not in load_registry():
        raise PydanticCustomError("unknown_region", "region_code is not a known kabupaten/kota")
    return code


def checked_nik(nik: str) -> str:
    try:
        return validate_nik(nik)
    except InvalidNikError as problem:
        raise _field_error("nik_invalid", problem) from None


def checked_kk_number(kk_number: str) -> str:
    try:
        return validate_kk_number(kk_number)
    except InvalidNikError as problem:
        raise _field_error("kk_number_invalid", problem) from None


def checked_name(name: str) -> str:
    """The name in NFC form without surrounding spaces, 1 to 100 characters long."""
    trimmed = unicodedata.normalize("NFC", name).strip()
    if not 1 <= len(trimmed) <= MAX_NAME_LENGTH:
        raise PydanticCustomError(
            "name_length", f"name must be 1 to {MAX_NAME_LENGTH} characters after trimming"
        )
    if any(unicodedata.category(char).startswith(_FORBIDDEN_IN_NAMES) for char in trimmed):
        raise PydanticCustomError(
            "name_characters", "name must not contain control or invisible characters"
        )
    return trimmed


def checked_mobile_number(phone: str) -> str:
    try:
        return normalise_mobile_number(phone)
    except InvalidContactError as problem:
        raise _field_error("phone_invalid", problem) from None


def checked_email(email: str) -> str:
    try:
        return normalise_email(email)
    except InvalidContactError as problem:
        raise _field_error("email_invalid", problem) from None


def shallow_enough_details(details: object) -> object:
    """Runs before the JSON values are parsed, so a deeply nested body is refused early."""
    try:
        check_details_shape(details)
    except DetailsOutOfBoundsError as problem:
        raise _field_error("details_out_of_bounds", problem) from None
    return details


def checked_details(details: dict[str, JsonValue]) -> dict[str, JsonValue]:
    try:
        return check_details_bounds(details)
    except DetailsOutOfBoundsError as problem:
        raise _field_error("details_out_of_bounds", problem) from None


def _field_error(error_type: str, problem: ValueError) -> PydanticCustomError:
    # The domain messages name the rule, never the value, and contain no format placeholders.
    return PydanticCustomError(error_type, str(problem))
