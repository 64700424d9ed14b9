"""The status board: only the latest status is owed, and `seq` is given at publication."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from services.siak_monitor.domain.health import Transition
from services.siak_monitor.domain.region_status import PARENT_DOWN
from services.siak_monitor.domain.status_board import PublishedStatus, StatusBoard
from shared.events import SiakStatus
from shared.events.status import MAX_SEQ
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


def _in(region_code: str, change: Transition) -> Transition:
    return replace(change, region_code=region_code)


def test_a_region_whose_seq_is_exhausted_goes_on_in_the_next_epoch() -> None:
    board = StatusBoard(["73.71", "73.06"])
    board.restore(
        {
            "73.71": PublishedStatus(SiakStatus.UP, seq=MAX_SEQ, epoch=7),
            "73.06": PublishedStatus(SiakStatus.UP, seq=3, epoch=7),
        },
        epoch=7,
    )
    board.record(transition(SiakStatus.DOWN, SiakStatus.UP, 0, "http_503"))
    board.record(_in("73.06", transition(SiakStatus.DOWN, SiakStatus.UP, 0, "http_503")))

    exhausted, other = board.pending()
    board.mark_published(exhausted)
    board.record(transition(SiakStatus.UP, SiakStatus.DOWN, 1))
    (after,) = [event for event in board.pending() if event.region_code == "73.71"]

    # Subscribers take a greater epoch whatever its seq.
    assert (exhausted.region_code, exhausted.epoch, exhausted.seq) == ("73.71", 8, 1)
    assert (other.region_code, other.epoch, other.seq) == ("73.06", 7, 4)
    assert (after.epoch, after.seq) == (8, 2)


def test_an_uncertain_attempt_at_the_last_seq_moves_the_region_to_the_next_epoch() -> None:
    board = StatusBoard(["73.71"], {"73.71": PublishedStatus(SiakStatus.UP, MAX_SEQ - 1, epoch=7)})
    board.epoch = 7
    board.record(transition(SiakStatus.DOWN, SiakStatus.UP, 0, "http_503"))
    (attempt,) = board.pending()
    board.note_attempt(attempt)

    (retry,) = board.pending()

    assert (attempt.epoch, attempt.seq) == (7, MAX_SEQ)
    assert (retry.epoch, retry.seq) == (8, 1)


def test_a_region_at_the_last_epoch_and_seq_is_named_and_holds_no_other_region_back() -> None:
    board = StatusBoard(["73.71", "73.06"])
    board.restore(
        {
            "73.71": PublishedStatus(SiakStatus.UP, seq=MAX_SEQ, epoch=MAX_SEQ),
            "73.06": PublishedStatus(SiakStatus.UP, seq=3, epoch=MAX_SEQ),
        },
        epoch=MAX_SEQ,
    )
    board.record(transition(SiakStatus.DOWN, SiakStatus.UP, 0, "http_503"))
    board.record(_in("73.06", transition(SiakStatus.DOWN, SiakStatus.UP, 0, "http_503")))

    (pending,) = board.pending()

    assert (pending.region_code, pending.seq) == ("73.06", 4)
    assert board.exhausted() == ["73.71"]


def test_a_region_that_can_no_longer_be_told_is_left_out_of_heartbeats() -> None:
    # Subscribers then find it stale and count it UNKNOWN: its gate closes, not stays open
    # on a status the monitor cannot correct.
    board = StatusBoard(["73.71", "73.06"])
    board.restore(
        {"73.71": PublishedStatus(SiakStatus.UP, seq=MAX_SEQ, epoch=MAX_SEQ)}, epoch=MAX_SEQ
    )

    assert [region.region_code for region in board.snapshot()] == ["73.06"]
