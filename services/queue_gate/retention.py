"""Personal data is deleted once its purpose is met (UU PDP): after delivery plus retention."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from services.queue_gate.ports import SubmissionStore

log = logging.getLogger(__name__)


async def purge_expired(
    submissions: SubmissionStore, *, retention: timedelta, now: datetime
) -> int:
    purged = await submissions.purge_personal_data(finished_before=now - retention)
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
