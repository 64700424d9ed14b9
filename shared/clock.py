"""The wall clock every service reads, in UTC; tests hand their own clock in instead."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
