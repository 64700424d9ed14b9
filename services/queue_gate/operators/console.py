"""What the console needs beyond the admin API's handlers, assembled by `bootstrap`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.queue_gate.domain.sign_in_throttle import SignInThrottle
from services.queue_gate.operators.ports import (
    ActionAudit,
    ConsoleSessions,
    MaintenanceCalendar,
    OperatorAccounts,
)
from services.queue_gate.operators.signing_in import ConsoleSignIn
from services.queue_gate.settings import GateSettings


@dataclass(frozen=True)
class ConsoleStores:
    """The console's adapters."""

    accounts: OperatorAccounts
    sessions: ConsoleSessions
    audit: ActionAudit
    maintenance: MaintenanceCalendar


@dataclass(frozen=True)
class ConsoleDeps:
    sign_in: ConsoleSignIn
    audit: ActionAudit
    maintenance: MaintenanceCalendar


def console_deps(
    settings: GateSettings, stores: ConsoleStores, clock: Callable[[], datetime]
) -> ConsoleDeps:
    throttle = SignInThrottle(
        attempts=settings.console_sign_in_attempts,
        window=timedelta(seconds=settings.console_sign_in_window_s),
        names_per_address=settings.console_sign_in_names_per_address,
    )
    sign_in = ConsoleSignIn(
        accounts=stores.accounts,
        sessions=stores.sessions,
        audit=stores.audit,
        throttle=throttle,
        idle_timeout=timedelta(seconds=settings.console_idle_timeout_s),
        clock=clock,
    )
    return ConsoleDeps(sign_in=sign_in, audit=stores.audit, maintenance=stores.maintenance)
