"""What SIAK's answer to a submission means, by the contract in docs/decisions/0012."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.queue_gate.domain.siak_free_text import refusal_message

RETRY_STATUSES = frozenset({408, 425, 429})
"""SIAK asks to be asked again later."""
MAX_REFERENCE_LENGTH = 100


@dataclass(frozen=True)
class Delivered:
    """SIAK holds the submission: a 2xx that acknowledged its idempotency key."""

    siak_reference: str | None


@dataclass(frozen=True)
class Refused:
    """SIAK refused the submission on its merits: retrying will not help.

    `code` says why in a stable word; `message` is SIAK's explanation with anything that may
    be personal data taken out."""

    code: str
    message: str = ""

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


@dataclass(frozen=True)
class Unavailable:
    """A timeout, a refused connection, throttling or a 5xx: worth retrying later."""

    reason: str


@dataclass(frozen=True)
class Unacknowledged(Unavailable):
    """A 2xx that did not acknowledge the key (a proxy, a login page): SIAK may not hold the
    submission, so it is retried like a failure, and counted apart."""


SiakAnswer = Delivered | Refused | Unavailable


def answer_for(status: int, body: bytes, *, idempotency_key: str) -> SiakAnswer:
    """What SIAK's HTTP answer `status` with `body` to the submission sent under
    `idempotency_key` means for it. Redirects are answers, never followed."""
    if 200 <= status < 300:
        return _delivered(status, _json_object(body), idempotency_key)
    if 400 <= status < 500 and status not in RETRY_STATUSES:
        return Refused(f"siak_refused_{status}", refusal_message(_json_object(body)))
    return Unavailable(f"http_{status}")


def _delivered(status: int, body: dict[str, Any], idempotency_key: str) -> SiakAnswer:
    if body.get("key") != idempotency_key:
        return Unacknowledged(f"unacknowledged_http_{status}")
    reference = body.get("siak_reference")
    usable = isinstance(reference, str) and 0 < len(reference) <= MAX_REFERENCE_LENGTH
    return Delivered(reference if usable else None)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
