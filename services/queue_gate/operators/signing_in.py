"""Signing operators in and out of the console, and finding who is signed in by cookie."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.queue_gate.domain.operator_password import hash_password, password_matches
from services.queue_gate.domain.sign_in_throttle import SignInThrottle
from services.queue_gate.operators.ports import (
    ActionAudit,
    AuditEntry,
    ConsoleSession,
    ConsoleSessions,
    OperatorAccounts,
)


class SignInRefusedError(Exception):
    """Unknown name or wrong password: the two are not told apart."""


class TooManyAttemptsError(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__("too many failed sign-ins")
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    token: str
    """For the cookie only; the store keeps its hash."""
    session: ConsoleSession


@functools.cache
def _stand_in_hash() -> str:
    # Checked for an unknown name, so it costs as long as a wrong password for a real one.
    return hash_password(secrets.token_urlsafe(24))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class ConsoleSignIn:
    accounts: OperatorAccounts
    sessions: ConsoleSessions
    audit: ActionAudit
    throttle: SignInThrottle
    idle_timeout: timedelta
    clock: Callable[[], datetime]

    async def sign_in(self, name: str, password: str, *, client: str) -> SignedIn:
        now = self.clock()
        wait = self.throttle.retry_after(name, client, now)
        if wait is not None:
            raise TooManyAttemptsError(wait)
        account = await self.accounts.by_name(name)
        stored = account.password_hash if account else _stand_in_hash()
        matches = await asyncio.to_thread(password_matches, password, stored)
        if account is None or not matches:
            self.throttle.failed(name, client, now)
            raise SignInRefusedError
        self.throttle.succeeded(name, client, now)
        token = secrets.token_urlsafe(32)
        session = ConsoleSession(
            token_hash=token_hash(token),
            operator=account.name,
            role=account.role,
            csrf_token=secrets.token_urlsafe(32),
            last_seen_at=now,
        )
        await self.sessions.open(session, idle_since=now - self.idle_timeout)
        await self.audit.record(AuditEntry(now, account.name, "sign_in", "console", None))
        return SignedIn(token, session)

    async def current(self, token: str | None) -> ConsoleSession | None:
        """The session `token` opened, unless it was idle longer than `idle_timeout`."""
        if not token:
            return None
        now = self.clock()
        return await self.sessions.seen(
            token_hash(token), now=now, idle_since=now - self.idle_timeout
        )

    async def sign_out(self, session: ConsoleSession) -> None:
        await self.sessions.close(session.token_hash)
        await self.audit.record(
            AuditEntry(self.clock(), session.operator, "sign_out", "console", None)
        )
