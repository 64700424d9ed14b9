"""Bounds on `details`: size, depth, keys per object, plain JSON numbers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import JsonValue

from services.queue_gate.domain.details import (
    MAX_DETAILS_BYTES,
    DetailsOutOfBoundsError,
    canonical_json,
    check_details_bounds,
)


def nested(depth: int) -> dict[str, JsonValue]:
    details: dict[str, JsonValue] = {"leaf": 1}
    for _ in range(depth - 1):
        details = {"inner": details}
    return details


def test_details_nested_four_deep_are_accepted_five_deep_rejected() -> None:
    assert check_details_bounds(nested(4)) == nested(4)
    with pytest.raises(DetailsOutOfBoundsError, match="nested at most 4"):
        check_details_bounds(nested(5))


def test_lists_count_as_a_level_of_nesting() -> None:
    with pytest.raises(DetailsOutOfBoundsError):
        check_details_bounds({"a": [[[{"b": 1}]]]})
    assert check_details_bounds({"a": [[{"b": 1}]]}) == {"a": [[{"b": 1}]]}


def test_an_object_may_have_fifty_keys_but_not_fifty_one() -> None:
    fifty: dict[str, JsonValue] = {f"k{index}": index for index in range(50)}

    assert check_details_bounds({"inner": fifty}) == {"inner": fifty}
    with pytest.raises(DetailsOutOfBoundsError, match="at most 50 keys"):
        check_details_bounds({"inner": {**fifty, "one_more": 0}})


def test_details_above_eight_kib_as_json_are_rejected() -> None:
    def of_size(size: int) -> dict[str, JsonValue]:
        return {"note": "x" * (size - len('{"note":""}'))}

    assert len(canonical_json(of_size(MAX_DETAILS_BYTES))) == MAX_DETAILS_BYTES
    assert check_details_bounds(of_size(MAX_DETAILS_BYTES))
    with pytest.raises(DetailsOutOfBoundsError, match="8192 bytes"):
        check_details_bounds(of_size(MAX_DETAILS_BYTES + 1))


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_numbers_json_cannot_represent_are_rejected(number: float) -> None:
    with pytest.raises(DetailsOutOfBoundsError, match="NaN"):
        check_details_bounds({"weight_kg": number})


json_objects: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    st.text(max_size=5), st.integers() | st.text(max_size=5) | st.booleans() | st.none()
)


@given(json_objects, st.randoms())
def test_canonical_json_does_not_depend_on_key_order(details: dict[str, Any], rng: Any) -> None:
    shuffled_keys = list(details)
    rng.shuffle(shuffled_keys)

    reordered = {key: details[key] for key in shuffled_keys}

    assert canonical_json(reordered) == canonical_json(details)
