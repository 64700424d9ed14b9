"""The submission every measurement sends or stores: one body per region, fresh keys per row."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from services.queue_gate.adapters.sealing import PayloadSealer
from services.queue_gate.domain.applicant_key import applicant_key
from services.queue_gate.domain.submission import SubmissionRequest, submission_fingerprint
from services.queue_gate.domain.ticket import new_ticket_id
from services.queue_gate.handlers.intake import siak_payload

NIK = "7371011205900001"
"""Valid: registered in 73.71.01, born 12 May 1990; never checked against the region."""
SERVICE_TYPE = "akta_kelahiran"
ROW_COLUMNS = (
    "ticket_id",
    "region_code",
    "service_type",
    "applicant_key",
    "idempotency_key",
    "body_fingerprint",
    "sealed_payload",
    "state",
)


def submission_body(region_code: str) -> dict[str, object]:
    return {
        "region_code": region_code,
        "service_type": SERVICE_TYPE,
        "applicant": {"nik": NIK, "name": "Warga Uji Beban", "kk_number": "7371010101080001"},
        "contact": {"phone": "081234567890"},
        "details": {
            "child_name": "Bayi Uji",
            "birth_place": "Makassar",
            "birth_date": "2024-01-05",
        },
    }


def body_bytes(region_code: str) -> bytes:
    return json.dumps(submission_body(region_code), separators=(",", ":")).encode()


@dataclass(frozen=True)
class _RegionTemplate:
    region_code: str
    fingerprint: str
    plaintext: bytes


class RowFactory:
    """Rows shaped exactly as intake stores them: sealed payload, applicant key, fingerprint."""

    def __init__(self, *, data_key: str, applicant_secret: str, state: str = "deferred") -> None:
        self._sealer = PayloadSealer.from_base64(data_key)
        self._state = state
        self._applicant_key = applicant_key(NIK, secret=applicant_secret.encode())
        self._templates: dict[str, _RegionTemplate] = {}

    def row(self, region_code: str, idempotency_key: str) -> tuple[object, ...]:
        template = self._template(region_code)
        ticket_id = new_ticket_id()
        return (
            ticket_id,
            region_code,
            SERVICE_TYPE,
            self._applicant_key,
            idempotency_key,
            template.fingerprint,
            self._sealer.seal(template.plaintext, ticket_id=ticket_id),
            self._state,
        )

    def rows(
        self, regions: Sequence[str], count: int, *, key_prefix: str
    ) -> Iterator[tuple[object, ...]]:
        """`count` rows dealt round-robin over `regions`, in the order intake would take them."""
        for serial in range(count):
            yield self.row(regions[serial % len(regions)], f"{key_prefix}-{serial}")

    def _template(self, region_code: str) -> _RegionTemplate:
        known = self._templates.get(region_code)
        if known is None:
            request = SubmissionRequest.model_validate_json(body_bytes(region_code))
            known = _RegionTemplate(
                region_code, submission_fingerprint(request), siak_payload(request)
            )
            self._templates[region_code] = known
        return known
