"""What the console keeps about operators: accounts, sessions, the actions they took."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    VIEWER = "viewer"
    """Sees regions, parked submissions, maintenance and the audit log; changes nothing."""
    OPERATOR = "operator"
    """Also retries and cancels, overrides, pauses, sets rates and plans maintenance."""


@dataclass(frozen=True)
class OperatorAccount:
    name: str
    role: Role
    password_hash: str


@dataclass(frozen=True)
class ConsoleSession:
    """A signed-in operator; the cookie holds a token whose hash is `token_hash`."""

    token_hash: str
    operator: str
    role: Role
    csrf_token: str
    last_seen_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which subject, when and why."""

    at: datetime
    actor: str
    action: str
    subject: str
    reason: str | None
    detail: dict[str, object] = field(default_factory=dict)


class AccountExistsError(Exception):
    """An account of that name already exists."""


class OperatorAccounts(Protocol):
    async def create(self, account: OperatorAccount) -> None:
        """Raises `AccountExistsError` when the name is taken."""

    async def by_name(self, name: str) -> OperatorAccount | None: ...


class ConsoleSessions(Protocol):
    async def open(self, session: ConsoleSession) -> None: ...

    async def seen(
        self, token_hash: str, *, now: datetime, idle_since: datetime
    ) -> ConsoleSession | None:
        """The session, its `last_seen_at` moved to `now`; None (and the session gone) when
        unknown or last seen before `idle_since`."""

    async def close(self, token_hash: str) -> None: ...


class ActionAudit(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...

    async def search(self, text: str | None, *, limit: int) -> list[AuditEntry]:
        """Newest first, region controls' changes included; `text` matched anywhere."""
