"""The body of `POST /v1/submissions`, validated field by field, and its fingerprint."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Annotated, TypedDict

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictStr,
    ValidationError,
)

from services.queue_gate.domain.details import canonical_json
from services.queue_gate.domain.submission_fields import (
    checked_details,
    checked_email,
    checked_kk_number,
    checked_mobile_number,
    checked_name,
    checked_nik,
    checked_region_code,
    shallow_enough_details,
)

# The HTTP layer answers 413 above this, before parsing; details alone may use 8 KiB of it.
MAX_SUBMISSION_BYTES = 16 * 1024


class ServiceType(StrEnum):
    KTP_EL_RECORDING = "ktp_el_recording"
    KTP_EL_REPRINT = "ktp_el_reprint"
    KARTU_KELUARGA = "kartu_keluarga"
    KIA = "kia"
    AKTA_KELAHIRAN = "akta_kelahiran"
    AKTA_KEMATIAN = "akta_kematian"
    PINDAH = "pindah"
    DATANG = "datang"


class _IntakeModel(BaseModel):
    # Inputs hold personal data: keep them out of error strings that may reach a log.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Applicant(_IntakeModel):
    nik: Annotated[StrictStr, AfterValidator(checked_nik)]
    name: Annotated[StrictStr, AfterValidator(checked_name)]
    kk_number: Annotated[StrictStr, AfterValidator(checked_kk_number)] | None = None


class Contact(_IntakeModel):
    phone: Annotated[StrictStr, AfterValidator(checked_mobile_number)] | None = None
    email: Annotated[StrictStr, AfterValidator(checked_email)] | None = None


class SubmissionRequest(_IntakeModel):
    region_code: Annotated[
        StrictStr, Field(pattern=r"^[0-9]{2}\.[0-9]{2}$"), AfterValidator(checked_region_code)
    ]
    service_type: ServiceType
    applicant: Applicant
    contact: Contact | None = None
    details: Annotated[
        dict[str, JsonValue],
        BeforeValidator(shallow_enough_details),
        AfterValidator(checked_details),
    ]


class FieldError(TypedDict):
    loc: list[str | int]
    type: str
    msg: str


def field_errors(error: ValidationError) -> list[FieldError]:
    """Each problem with the path of its field, without the rejected value itself."""
    return [
        FieldError(loc=list(detail["loc"]), type=detail["type"], msg=detail["msg"])
        for detail in error.errors(include_url=False, include_input=False, include_context=False)
    ]


def submission_fingerprint(submission: SubmissionRequest) -> str:
    """sha256 of the validated body as canonical JSON: equal submissions, equal fingerprints.

    Validation normalises first, so bodies that differ only in key order, surrounding
    spaces or phone notation count as the same body under one Idempotency-Key.
    """
    return hashlib.sha256(canonical_json(submission.model_dump(mode="json"))).hexdigest()
