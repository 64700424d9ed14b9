"""The intake body: each invalid field is named, personal data stays out of the errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from services.queue_gate.domain.submission import (
    ServiceType,
    SubmissionRequest,
    field_errors,
)

NIK_FROM_ACEH = "1101014508850003"
MAKASSAR = "73.71"


def body(**changes: Any) -> dict[str, Any]:
    submission: dict[str, Any] = {
        "region_code": MAKASSAR,
        "service_type": "akta_kelahiran",
        "applicant": {"nik": NIK_FROM_ACEH, "name": "  Andi Tenri Ajeng  "},
        "contact": {"phone": "0812-3456-7890", "email": "andi@Contoh.ID"},
        "details": {"child": {"name": "Baso", "born_at": "RSUD Daya"}},
    }
    submission.update(changes)
    return submission


def deeply_nested(depth: int) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for _ in range(depth):
        details = {"inner": details}
    return details


def with_applicant(**changes: Any) -> dict[str, Any]:
    return body(applicant={"nik": NIK_FROM_ACEH, "name": "Andi", **changes})


def rejected_fields(data: dict[str, Any]) -> list[tuple[str | int, ...]]:
    with pytest.raises(ValidationError) as raised:
        SubmissionRequest.model_validate(data)
    return [tuple(error["loc"]) for error in field_errors(raised.value)]


def test_a_nik_registered_in_another_province_is_accepted_for_any_region() -> None:
    submission = SubmissionRequest.model_validate(body())

    assert submission.region_code == MAKASSAR
    assert submission.applicant.nik == NIK_FROM_ACEH
    assert submission.service_type is ServiceType.AKTA_KELAHIRAN


def test_names_are_trimmed_and_contacts_normalised() -> None:
    submission = SubmissionRequest.model_validate(body())

    assert submission.applicant.name == "Andi Tenri Ajeng"
    assert submission.contact is not None
    assert submission.contact.phone == "+6281234567890"
    assert submission.contact.email == "andi@contoh.id"


def test_every_online_service_type_is_accepted() -> None:
    for service in ServiceType:
        assert SubmissionRequest.model_validate(body(service_type=service.value))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (body(region_code="73.70"), ("region_code",)),
        (body(region_code="\u0667\u0663.\u0667\u0661"), ("region_code",)),
        (body(region_code="7371"), ("region_code",)),
        (body(service_type="paspor"), ("service_type",)),
        (with_applicant(nik="1101014508850000"), ("applicant", "nik")),
        (with_applicant(nik=1101014508850003), ("applicant", "nik")),
        (with_applicant(kk_number="1001010000000001"), ("applicant", "kk_number")),
        (body(contact={"phone": "021-555-1234"}), ("contact", "phone")),
        (body(contact={"email": "andi@"}), ("contact", "email")),
        (body(details=["not", "an", "object"]), ("details",)),
        (body(details=deeply_nested(1000)), ("details",)),
        (body(unexpected=True), ("unexpected",)),
        (with_applicant(address="Jl. Somba Opu"), ("applicant", "address")),
    ],
)
def test_an_invalid_field_is_reported_by_its_path(
    data: dict[str, Any], field: tuple[str, ...]
) -> None:
    assert rejected_fields(data) == [field]


def test_missing_required_fields_are_each_named() -> None:
    assert sorted(rejected_fields({"region_code": MAKASSAR})) == [
        ("applicant",),
        ("details",),
        ("service_type",),
    ]


@pytest.mark.parametrize(
    "name",
    ["", "   ", "x" * 101, "Andi\x00", "Andi\nBaso", "Andi\u202eBaso", "Andi\u200bBaso"],
)
def test_empty_overlong_or_invisible_character_names_are_rejected(name: str) -> None:
    assert rejected_fields(with_applicant(name=name)) == [("applicant", "name")]


@pytest.mark.parametrize("name", ["x" * 100, "La Ode Muh. Ridwan", "Nurul 'Aini", "Aŋeŋ Débora"])
def test_names_of_up_to_a_hundred_printable_characters_are_accepted(name: str) -> None:
    submission = SubmissionRequest.model_validate(with_applicant(name=name))

    assert submission.applicant.name == name


def test_errors_carry_neither_the_nik_nor_the_name() -> None:
    data = body(applicant={"nik": "1101014508850000", "name": "Andi\x07Rahasia"})
    with pytest.raises(ValidationError) as raised:
        SubmissionRequest.model_validate(data)

    reported = json.dumps(field_errors(raised.value)) + str(raised.value)

    assert "1101014508850000" not in reported
    assert "Rahasia" not in reported
    assert {error["type"] for error in field_errors(raised.value)} == {
        "nik_invalid",
        "name_characters",
    }


def test_the_body_schema_can_be_published_in_openapi() -> None:
    schema = SubmissionRequest.model_json_schema()

    assert schema["required"] == ["region_code", "service_type", "applicant", "details"]
    assert schema["additionalProperties"] is False


def test_submissions_are_immutable_once_validated() -> None:
    submission = SubmissionRequest.model_validate(body())

    with pytest.raises(ValidationError):
        submission.region_code = "73.06"  # type: ignore[misc]
