"""The status board: only the latest status is owed, and `seq` is given at publication."""

from __future__ import annotations

from datetime import timedelta

from services.siak_monitor.domain.health import Transition
from services.siak_monitor.domain.region_status import PARENT_DOWN
from services.siak_monitor.domain.status_board import PublishedStatus, StatusBoard
from shared.events import SiakStatus
from tests.unit.siak_monitor.builders import START, answered, failed


def transition(
    status: SiakStatus, previous: SiakStatus, minutes: int, reason: str | None = None
) -> Transition:
    at = START + timedelta(minutes=minutes)
    probe = answered(at) if status == SiakStatus.UP else failed(at)
    return Transition("73.71", status, previous, at, reason, probe)


def test_only_the_latest_status_of_a_region_is_pending() -> None:
    board = StatusBoard(["73.71"])
    board.record(transition(SiakStatus.UP, SiakStatus.UNKNOWN, 0))
    board.record(transition(SiakStatus.DOWN, SiakStatus.UP, 1, "http_503"))

    (pending,) = board.pending()

    assert (pending.status, pending.previous_status, pending.seq) == (SiakStatus.DOWN, None, 1)


def test_seq_continues_from_the_last_published_one() -> None:
    board = StatusBoard(["73.71"], {"73.71": PublishedStatus(SiakStatus.UP, seq=41)})
    board.record(transition(SiakStatus.DOWN, SiakStatus.UP, 0, "http_503"))

    (pending,) = board.pending()
    board.mark_published(pending)

    assert (pending.previous_status, pending.seq) == (SiakStatus.UP, 42)
    assert board.pending() == []


def test_a_new_reason_under_the_same_status_is_owed_to_subscribers() -> None:
    board = StatusBoard(["73.71"])
    board.record(transition(SiakStatus.DOWN, SiakStatus.UP, 0, "http_503"))
    board.mark_published(board.pending()[0])

    board.record(transition(SiakStatus.DOWN, SiakStatus.DOWN, 1, PARENT_DOWN))

    (pending,) = board.pending()
    assert (pending.status, pending.reason, pending.seq) == (SiakStatus.DOWN, PARENT_DOWN, 2)


def test_new_evidence_alone_is_not_owed_to_subscribers() -> None:
    board = StatusBoard(["73.71"])
    board.record(transition(SiakStatus.UP, SiakStatus.UNKNOWN, 0))
    board.mark_published(board.pending()[0])

    board.record(transition(SiakStatus.UP, SiakStatus.UP, 5))

    assert board.pending() == []
