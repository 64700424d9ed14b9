"""The Idempotency-Key rule: same key and same body, same ticket; same key, other body, conflict."""

from __future__ import annotations

import re

MAX_IDEMPOTENCY_KEY_LENGTH = 255
_VISIBLE_ASCII = re.compile(rf"[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}")


class InvalidIdempotencyKeyError(ValueError):
    def __init__(self) -> None:
        super().__init__(
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters"
        )


class IdempotencyConflictError(Exception):
    """The key was already used for a different body."""

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request body")


def validate_idempotency_key(key: str) -> str:
    if _VISIBLE_ASCII.fullmatch(key) is None:
        raise InvalidIdempotencyKeyError()
    return key


def ensure_same_body(*, stored_fingerprint: str, presented_fingerprint: str) -> None:
    """Passes when a repeated key comes with the body first stored under it, so the stored
    ticket is answered again; raises when the body differs, which intake answers with 409."""
    if stored_fingerprint != presented_fingerprint:
        raise IdempotencyConflictError()
