"""In-memory fakes of the console's stores: accounts, sessions, audit, maintenance calendar."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.queue_gate.domain.region_gate import RegionControl
from services.queue_gate.operators.console import ConsoleStores
from services.queue_gate.operators.ports import (
    AccountExistsError,
    AuditEntry,
    ConsoleSession,
    MaintenancePlan,
    MaintenanceRefusedError,
    MaintenanceWindow,
    OperatorAccount,
)


class ControlHistory(Protocol):
    history: list[tuple[str, RegionControl]]


class FakeOperatorAccounts:
    def __init__(self) -> None:
        self.accounts: dict[str, OperatorAccount] = {}

    async def create(self, account: OperatorAccount) -> None:
        if account.name in self.accounts:
            raise AccountExistsError(account.name)
        self.accounts[account.name] = account

    async def by_name(self, name: str) -> OperatorAccount | None:
        return self.accounts.get(name)


class FakeConsoleSessions:
    def __init__(self) -> None:
        self.sessions: dict[str, ConsoleSession] = {}

    async def open(self, session: ConsoleSession, *, idle_since: datetime) -> None:
        self.sessions = {
            key: kept for key, kept in self.sessions.items() if kept.last_seen_at >= idle_since
        }
        self.sessions[session.token_hash] = session

    async def seen(
        self, token_hash: str, *, now: datetime, idle_since: datetime
    ) -> ConsoleSession | None:
        session = self.sessions.get(token_hash)
        if session is None or session.last_seen_at < idle_since:
            self.sessions.pop(token_hash, None)
            return None
        self.sessions[token_hash] = dataclasses.replace(session, last_seen_at=now)
        return self.sessions[token_hash]

    async def close(self, token_hash: str) -> None:
        self.sessions.pop(token_hash, None)


class FakeActionAudit:
    """Like the table: region controls' changes come from their own history."""

    def __init__(self, controls: ControlHistory) -> None:
        self.entries: list[AuditEntry] = []
        self._controls = controls

    async def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)

    async def search(self, text: str | None, *, limit: int) -> list[AuditEntry]:
        controls = [
            AuditEntry(
                at=control.changed_at or datetime.min,
                actor=control.changed_by or "",
                action="region_control",
                subject=code,
                reason=control.reason,
                detail={"override": control.override.value, "max_rate": control.max_rate},
            )
            for code, control in self._controls.history
        ]
        # Newest first; of those at one instant, the later recorded first.
        recorded = [*controls, *self.entries][::-1]
        every = sorted(recorded, key=lambda entry: entry.at, reverse=True)
        wanted = (text or "").lower()
        return [entry for entry in every if wanted in _searchable(entry)][:limit]


def _searchable(entry: AuditEntry) -> str:
    return " ".join(
        [entry.actor, entry.action, entry.subject, entry.reason or "", str(entry.detail)]
    ).lower()


class FakeMaintenanceCalendar:
    """The monitor's calendar: plans by id; `refuse` makes the next call refused like a 422."""

    def __init__(self) -> None:
        self.plans_by_id: dict[str, MaintenancePlan] = {}
        self.refuse: MaintenanceRefusedError | None = None
        self._ids = itertools.count(1)

    async def plans(self) -> list[MaintenancePlan]:
        return list(self.plans_by_id.values())

    async def schedule(self, window: MaintenanceWindow) -> MaintenancePlan:
        self._refused()
        plan = MaintenancePlan(f"mnt-{next(self._ids)}", editable=True, window=window)
        self.plans_by_id[plan.id] = plan
        return plan

    async def change(self, plan_id: str, window: MaintenanceWindow) -> MaintenancePlan | None:
        self._refused()
        if plan_id not in self.plans_by_id:
            return None
        self.plans_by_id[plan_id] = MaintenancePlan(plan_id, editable=True, window=window)
        return self.plans_by_id[plan_id]

    async def cancel(self, plan_id: str) -> bool:
        return self.plans_by_id.pop(plan_id, None) is not None

    def _refused(self) -> None:
        if self.refuse is not None:
            refusal, self.refuse = self.refuse, None
            raise refusal


@dataclass
class FakeConsole:
    accounts: FakeOperatorAccounts
    sessions: FakeConsoleSessions
    audit: FakeActionAudit
    maintenance: FakeMaintenanceCalendar

    @classmethod
    def over(cls, controls: ControlHistory) -> FakeConsole:
        return cls(
            FakeOperatorAccounts(),
            FakeConsoleSessions(),
            FakeActionAudit(controls),
            FakeMaintenanceCalendar(),
        )

    def stores(self) -> ConsoleStores:
        return ConsoleStores(
            accounts=self.accounts,
            sessions=self.sessions,
            audit=self.audit,
            maintenance=self.maintenance,
        )
