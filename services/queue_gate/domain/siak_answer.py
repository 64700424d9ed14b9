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
# A reference is a code: digits, letters in short codes (`SIM-7371-00000001`, `3578-LT-...`)
# and separators. Anything else (a NUL PostgreSQL refuses, spaces, markup) may be SIAK echoing
# something other than a reference, and is not kept; nor is one whose digits run to 16 across
# separators (a NIK or a No. KK, dotted or not), nor one with four letters in a row (a word,
# a name). Losing a reference costs nothing: the delivery stands without it.
_REFERENCE = re.compile(rf"[A-Za-z0-9._:/-]{{1,{MAX_REFERENCE_LENGTH}}}")
_SEPARATORS = re.compile(r"[._:/-]")
_NIK_LENGTH_DIGITS = re.compile(r"[0-9]{16}")
_WORD = re.compile(r"[A-Za-z]{4}")


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
    return Delivered(_kept_reference(body.get("siak_reference")))


def _kept_reference(reference: object) -> str | None:
    if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
        return None
    if _NIK_LENGTH_DIGITS.search(_SEPARATORS.sub("", reference)) or _WORD.search(reference):
        return None
    return reference


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
