"""What the console keeps about operators: accounts, sessions, the actions they took."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from shared.events import MaintenanceRecurrence


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
    async def open(self, session: ConsoleSession, *, idle_since: datetime) -> None:
        """Keep `session`; sessions last seen before `idle_since` go (nobody may present
        them again, and a browser closed without signing out never would)."""

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


@dataclass(frozen=True)
class MaintenanceWindow:
    """A window as the monitor's `POST /v1/maintenance` takes it: times with an offset are
    instants, times without one each region's local time (WIB, WITA or WIT), kept as they are
    so that a change sends back what the monitor holds."""

    regions: list[str] | str
    """Region codes, or "*" for every watched region."""
    starts_at: datetime
    ends_at: datetime
    reason: str
    message_id: str
    message_en: str
    recurrence: MaintenanceRecurrence | None = None
    """Weekly: the window repeats every week from `starts_at` on."""


@dataclass(frozen=True)
class MaintenancePlan:
    id: str
    editable: bool
    """False for a plan of the monitor's configuration file: change it there."""
    window: MaintenanceWindow


class MaintenanceRefusedError(Exception):
    """The monitor refused the window; `field` names what it refused, when it said."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MonitorUnavailableError(Exception):
    """The monitor could not be reached or is not configured."""


class MaintenanceCalendar(Protocol):
    """The monitor's maintenance calendar (it announces windows; the gate only asks)."""

    async def plans(self) -> list[MaintenancePlan]: ...

    async def schedule(self, window: MaintenanceWindow) -> MaintenancePlan: ...

    async def change(self, plan_id: str, window: MaintenanceWindow) -> MaintenancePlan | None:
        """None when there is no such plan."""

    async def cancel(self, plan_id: str) -> bool:
        """False when there is no such plan."""
