"""Bounds on a submission's service-specific `details` object."""

from __future__ import annotations

import json

from pydantic import JsonValue

MAX_DETAILS_BYTES = 8 * 1024
MAX_DETAILS_DEPTH = 4
MAX_KEYS_PER_OBJECT = 50


class DetailsOutOfBoundsError(ValueError):
    """The details object is too big, too deep, too wide or not plain JSON."""


def check_details_shape(details: object) -> None:
    """Depth and width, checkable on any input before it is parsed as JSON values.

    The details object itself is at depth 1; an array counts as a level like an object.
    """
    _check_shape(details, depth=1)


def check_details_bounds(details: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """The details unchanged, when they fit in depth, width and size."""
    check_details_shape(details)
    try:
        encoded = canonical_json(details)
    except ValueError:
        raise DetailsOutOfBoundsError("details must not contain NaN or Infinity") from None
    if len(encoded) > MAX_DETAILS_BYTES:
        raise DetailsOutOfBoundsError(f"details must be at most {MAX_DETAILS_BYTES} bytes as JSON")
    return details


def canonical_json(value: JsonValue) -> bytes:
    """Sorted keys, no insignificant spaces, UTF-8: equal values give equal bytes."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _check_shape(value: object, *, depth: int) -> None:
    if isinstance(value, dict | list) and depth > MAX_DETAILS_DEPTH:
        raise DetailsOutOfBoundsError(f"details must be nested at most {MAX_DETAILS_DEPTH} deep")
    if isinstance(value, dict):
        if len(value) > MAX_KEYS_PER_OBJECT:
            raise DetailsOutOfBoundsError(
                f"each object in details may have at most {MAX_KEYS_PER_OBJECT} keys"
            )
        for child in value.values():
            _check_shape(child, depth=depth + 1)
    elif isinstance(value, list):
        for child in value:
            _check_shape(child, depth=depth + 1)
