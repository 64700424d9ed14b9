"""The bookkeeping behind `seq`: what was published, what was only attempted, and notices."""

from __future__ import annotations

from datetime import timedelta

from services.siak_monitor.domain.health import Transition
from services.siak_monitor.domain.maintenance_events import (
    MaintenanceChanged,
    MaintenanceStarted,
)
from services.siak_monitor.domain.maintenance_notices import notices_for
from services.siak_monitor.domain.maintenance_reconciliation import tell_difference
from services.siak_monitor.domain.status_board import PublishedStatus, StatusBoard
from services.siak_monitor.outbox import Outbox
from shared.events import MaintenanceAction, SiakStatus
from tests.unit.siak_monitor.builders import START, answered, calendar_of, failed, window


def down_at(minutes: int) -> Transition:
    at = START + timedelta(minutes=minutes)
    return Transition("73.71", SiakStatus.DOWN, SiakStatus.UP, at, "http_503", failed(at))


def test_restored_statuses_only_ever_raise_what_is_known() -> None:
    board = StatusBoard(["73.71"], {"73.71": PublishedStatus(SiakStatus.UP, 9)})

    board.restore({"73.71": PublishedStatus(SiakStatus.DOWN, 4)}, epoch=0)

    assert board.published("73.71") == PublishedStatus(SiakStatus.UP, 9)


def test_an_attempted_seq_is_never_given_again() -> None:
    board = StatusBoard(["73.71"])
    board.record(down_at(0))
    (attempt,) = board.pending()
    board.note_attempt(attempt)
    at = START + timedelta(minutes=1)
    board.record(Transition("73.71", SiakStatus.UP, SiakStatus.DOWN, at, None, answered(at)))

    (retry,) = board.pending()

    assert (attempt.seq, retry.seq) == (1, 2)


def test_the_outbox_keeps_everything_from_the_first_undelivered_announcement() -> None:
    zones = calendar_of("73.71", "73.06").zones
    plan = window(START, START + timedelta(hours=1), "73.71", "73.06")
    outbox = Outbox()
    outbox.add(notices_for([MaintenanceStarted(plan, ("73.06", "73.71"), START)], zones, START))

    outbox.delivered(1)

    assert [n.region_code for n in outbox.queued()] == ["73.71"]  # type: ignore[union-attr]


def test_a_plan_told_differently_before_is_announced_as_changed_with_what_it_starts() -> None:
    zones = calendar_of("73.71").zones
    told = window(START + timedelta(hours=1), START + timedelta(hours=2), "73.71")
    now_on = window(START, START + timedelta(hours=2), "73.71")

    events = tell_difference(now_on, told, zones, START)

    assert events == [
        MaintenanceChanged(now_on, told),
        MaintenanceStarted(now_on, ("73.71",), START),
    ]
    (changed, started) = notices_for(events, zones, START)
    assert (changed.action, changed.previous_starts_at) == (
        MaintenanceAction.CHANGED,
        told.starts_at,
    )
    assert (started.action, started.starts_at) == (MaintenanceAction.STARTED, START)
