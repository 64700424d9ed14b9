"""What SIAK's answer to a submission means, by the contract in docs/decisions/0012."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

REFUSAL_STATUSES = frozenset({400, 413, 422})
"""SIAK refuses this submission's content: sending it again will not help."""
RETRY_STATUSES = frozenset({408, 425, 429})
"""SIAK asks to be asked again later."""
MAX_REFERENCE_LENGTH = 100
# A reference is an identifier: anything else (a NUL PostgreSQL refuses, spaces, markup) may
# be SIAK echoing something other than a reference, and is not kept; nor is one holding a run
# of 16 digits, the length of a NIK or a No. KK.
_REFERENCE = re.compile(rf"[A-Za-z0-9._:/-]{{1,{MAX_REFERENCE_LENGTH}}}")
_NIK_LENGTH_DIGITS = re.compile(r"[0-9]{16}")


@dataclass(frozen=True)
class Delivered:
    """SIAK holds the submission: a 2xx that acknowledged its idempotency key."""

    siak_reference: str | None


@dataclass(frozen=True)
class Refused:
    """SIAK refused the submission on its merits: retrying will not help.

    `code` says so with SIAK's status, and nothing of SIAK's words: they may echo the input,
    and a name written into a sentence cannot be told from the sentence's other words."""

    code: str

    @property
    def reason(self) -> str:
        return self.code


@dataclass(frozen=True)
class Unavailable:
    """A timeout, a refused connection, throttling or a 5xx: worth retrying later."""

    reason: str


@dataclass(frozen=True)
class Unacknowledged(Unavailable):
    """A 2xx that did not acknowledge the key (a proxy, a login page): SIAK may not hold the
    submission, so it is retried like a failure, and counted apart."""


@dataclass(frozen=True)
class Misconfigured:
    """An answer that says the gate's address or credentials for SIAK are wrong: no fault of
    the submission, and every other one would get the same."""

    status: int

    @property
    def reason(self) -> str:
        return f"siak_misconfigured_http_{self.status}"


SiakAnswer = Delivered | Refused | Unavailable | Misconfigured


def answer_for(status: int, body: bytes, *, idempotency_key: str) -> SiakAnswer:
    """What SIAK's HTTP answer `status` with `body` to the submission sent under
    `idempotency_key` means for it. Redirects are answers, never followed."""
    if 200 <= status < 300:
        return _delivered(status, _json_object(body), idempotency_key)
    if status in REFUSAL_STATUSES:
        return Refused(f"siak_refused_{status}")
    if 300 <= status < 500 and status not in RETRY_STATUSES:
        # Any other 3xx or 4xx (401, 403, 404, 405, 409, 410, ...) says the request never
        # reached SIAK's judgement of the submission: parking it would park the whole line.
        return Misconfigured(status)
    return Unavailable(f"http_{status}")


def _delivered(status: int, body: dict[str, Any], idempotency_key: str) -> SiakAnswer:
    if body.get("key") != idempotency_key:
        return Unacknowledged(f"unacknowledged_http_{status}")
    reference = body.get("siak_reference")
    if not isinstance(reference, str) or _NIK_LENGTH_DIGITS.search(reference):
        return Delivered(None)
    return Delivered(reference if _REFERENCE.fullmatch(reference) else None)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
