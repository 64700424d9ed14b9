"""The monitor's clock stepped by the seconds a file holds: how `make chaos` steps it running."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from shared.clock import utc_now


class SteppedClock:
    """`base` plus the number of seconds in `offset_file`, read at every reading so the step
    can change while the monitor runs; none while the file is missing or unreadable.

    For chaos testing only: production never sets `MONITOR_CHAOS_CLOCK_OFFSET_FILE`."""

    def __init__(self, offset_file: Path, base: Callable[[], datetime] = utc_now) -> None:
        self.offset_file = offset_file
        self.base = base

    def __call__(self) -> datetime:
        return self.base() + timedelta(seconds=self.offset_s())

    def offset_s(self) -> float:
        try:
            return float(self.offset_file.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0.0
