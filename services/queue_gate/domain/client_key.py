"""A portal's intake key: who it is, how fast it may submit, for which regions."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

KEY_PREFIX = "gk_"
_KEY_ID_BYTES = 6
_SECRET_BYTES = 32
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")
LOCAL_CLIENT_ID = "local"
"""The client of `GATE_API_KEY`, the single-key setup for local use."""


@dataclass(frozen=True)
class ClientKey:
    """What the gate knows of a portal's key; never the key itself, only its digest."""

    key_id: str
    name: str
    rate_per_s: float
    burst: int
    regions: frozenset[str] | None
    """The regions it may submit for; None: every region."""
    digest: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None


@dataclass(frozen=True)
class ClientKeyChange:
    """One audited change: who did what to which key, when and why."""

    key_id: str
    action: str
    reason: str
    changed_by: str
    changed_at: datetime


def new_client_key() -> tuple[str, str]:
    """A fresh (key id, key): the key is shown once; the key id names it in lists and logs."""
    key_id = secrets.token_hex(_KEY_ID_BYTES)
    return key_id, f"{KEY_PREFIX}{key_id}.{secrets.token_urlsafe(_SECRET_BYTES)}"


def key_id_of(key: str) -> str | None:
    """The key id a presented key claims; None when it is not shaped as a client key."""
    head, dot, _secret = key.partition(".")
    key_id = head.removeprefix(KEY_PREFIX)
    if not dot or not head.startswith(KEY_PREFIX) or not _KEY_ID.match(key_id):
        return None
    return key_id


def key_digest(key: str) -> str:
    """SHA-256 suffices: the key has 256 random bits, so no slow hash is needed against
    guessing, and a lookup per request stays cheap."""
    return hashlib.sha256(key.encode()).hexdigest()


def matches(key: str, client: ClientKey) -> bool:
    return secrets.compare_digest(key_digest(key), client.digest)
