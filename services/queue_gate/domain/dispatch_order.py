"""Which of a region's waiting submissions goes to SIAK next, and how many wait before one."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WaitingSubmission:
    ticket_id: str
    sequence: int
    applicant_key: str


def next_to_dispatch(
    waiting: Sequence[WaitingSubmission], parked_applicants: Collection[str]
) -> WaitingSubmission | None:
    """The earliest waiting submission whose applicant has nothing parked or earlier in line.

    A submission that failed transiently is still waiting, so it is the answer again:
    nothing overtakes it. A parked one holds back its own applicant's later submissions
    only; everybody else's go on.
    """
    return next(dispatch_sequence(waiting, parked_applicants), None)


def dispatch_sequence(
    waiting: Sequence[WaitingSubmission], parked_applicants: Collection[str]
) -> Iterator[WaitingSubmission]:
    """The order SIAK will receive the waiting submissions in, should each be delivered."""
    held = set(parked_applicants)
    for submission in sorted(waiting, key=lambda item: item.sequence):
        if submission.applicant_key not in held:
            yield submission


def held_behind_parked(
    waiting: Sequence[WaitingSubmission], parked_applicants: Collection[str]
) -> list[WaitingSubmission]:
    """Submissions that wait for an operator to retry or cancel their applicant's parked one."""
    held = set(parked_applicants)
    return sorted(
        (item for item in waiting if item.applicant_key in held), key=lambda item: item.sequence
    )


def submissions_ahead(
    waiting: Sequence[WaitingSubmission], parked_applicants: Collection[str], ticket_id: str
) -> int | None:
    """How many go before this ticket; None when it is held behind a parked one or not waiting."""
    for position, submission in enumerate(dispatch_sequence(waiting, parked_applicants)):
        if submission.ticket_id == ticket_id:
            return position
    return None
