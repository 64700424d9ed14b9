"""Personal data is deleted once its purpose is met (UU PDP): after delivery plus retention."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from services.queue_gate.adapters.prometheus_metrics import PERSONAL_DATA_OVERDUE
from services.queue_gate.ports import SubmissionStore

log = logging.getLogger(__name__)


PURGE_BATCH_SIZE = 5000
"""Rows purged per transaction: each well within the database's command timeout."""


class KeptPersonalData(Protocol):
    async def oldest_finished_age(self) -> timedelta | None:
        """How long ago the oldest delivered or cancelled submission that still holds its
        personal data finished; None if none does."""


async def purge_expired(
    submissions: SubmissionStore,
    *,
    retention: timedelta,
    now: datetime,
    batch_size: int = PURGE_BATCH_SIZE,
) -> int:
    """Purge every submission finished before `now - retention`, a batch at a time: after a
    long outage millions are due together, more than one statement finishes in time."""
    purged = 0
    while True:
        batch = await submissions.purge_personal_data(
            finished_before=now - retention, limit=batch_size
        )
        purged += batch
        if batch < batch_size:
            break
    if purged:
        log.info("deleted the personal data of %d finished submissions", purged)
    return purged


async def measure_overdue(kept: KeptPersonalData, *, retention: timedelta) -> None:
    """Set the gauge of how long past `retention` personal data is kept (0 if none is): an
    alert says so whatever holds the purge back (failing, rows locked, a bug)."""
    try:
        age = await kept.oldest_finished_age()
    except Exception as error:
        # Kept as last read: the purge's own failure, if any, was logged just before.
        log.warning("personal data past retention not measured: %s", type(error).__name__)
        return
    overdue = max(timedelta(0), age - retention) if age is not None else timedelta(0)
    PERSONAL_DATA_OVERDUE.set(overdue.total_seconds())


async def purge_periodically(
    submissions: SubmissionStore,
    kept: KeptPersonalData,
    *,
    retention: timedelta,
    clock: Callable[[], datetime],
    every: timedelta = timedelta(hours=1),
) -> None:
    """Purge, then measure what is still kept, every `every`, until cancelled."""
    while True:
        try:
            await purge_expired(submissions, retention=retention, now=clock())
        except Exception:
            log.exception("purging personal data failed; will try again")
        await measure_overdue(kept, retention=retention)
        await asyncio.sleep(every.total_seconds())
