"""Personal data is deleted once its purpose is met (UU PDP): after delivery plus retention."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from services.queue_gate.ports import SubmissionStore

log = logging.getLogger(__name__)


PURGE_BATCH_SIZE = 5000
"""Rows purged per transaction: each well within the database's command timeout."""


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


async def purge_periodically(
    submissions: SubmissionStore,
    *,
    retention: timedelta,
    clock: Callable[[], datetime],
    every: timedelta = timedelta(hours=1),
) -> None:
    while True:
        try:
            await purge_expired(submissions, retention=retention, now=clock())
        except Exception:
            log.exception("purging personal data failed; will try again")
        await asyncio.sleep(every.total_seconds())
