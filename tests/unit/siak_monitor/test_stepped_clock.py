"""The clock `make chaos` steps while the monitor runs, and only when it is asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.siak_monitor.adapters.stepped_clock import SteppedClock
from services.siak_monitor.bootstrap import clock_for
from services.siak_monitor.settings import MonitorSettings
from shared.clock import utc_now

NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_the_clock_follows_each_step_written_while_it_runs(tmp_path: Path) -> None:
    offset = tmp_path / "offset"
    clock = SteppedClock(offset, base=lambda: NOON)

    assert clock() == NOON  # no file yet: not stepped
    offset.write_text("3600")
    assert clock() == NOON + timedelta(hours=1)
    offset.write_text("-3600.5")
    assert clock() == NOON - timedelta(hours=1, milliseconds=500)
    offset.write_text("not a number")
    assert clock() == NOON


def test_only_a_chaos_run_gets_a_stepped_clock(tmp_path: Path) -> None:
    assert clock_for(MonitorSettings()) is utc_now
    stepped = clock_for(MonitorSettings(chaos_clock_offset_file=tmp_path / "offset"))
    assert isinstance(stepped, SteppedClock)
