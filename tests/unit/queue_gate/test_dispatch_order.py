"""Order of dispatch: acceptance order, head of line kept, parked items hold back one applicant."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.queue_gate.domain.dispatch_order import (
    WaitingSubmission,
    dispatch_sequence,
    held_behind_parked,
    next_to_dispatch,
    submissions_ahead,
)


def line(*applicants: str) -> list[WaitingSubmission]:
    return [
        WaitingSubmission(ticket_id=f"t{sequence}", sequence=sequence, applicant_key=applicant)
        for sequence, applicant in enumerate(applicants, start=1)
    ]


def test_the_earliest_accepted_submission_goes_first() -> None:
    waiting = line("ani", "budi", "ani")

    assert next_to_dispatch(list(reversed(waiting)), parked_applicants=set()) == waiting[0]


def test_a_transient_failure_keeps_the_same_submission_at_the_head() -> None:
    waiting = line("ani", "budi")

    first = next_to_dispatch(waiting, set())
    # SIAK timed out: the submission is still waiting, nothing was parked.
    again = next_to_dispatch(waiting, set())

    assert first == again == waiting[0]


def test_a_parked_applicant_waits_while_others_go_on() -> None:
    waiting = line("ani", "budi", "ani", "citra")

    assert [item.ticket_id for item in dispatch_sequence(waiting, {"ani"})] == ["t2", "t4"]
    assert [item.ticket_id for item in held_behind_parked(waiting, {"ani"})] == ["t1", "t3"]


def test_nothing_is_next_when_every_applicant_waits_for_a_parked_item() -> None:
    assert next_to_dispatch(line("ani", "ani"), {"ani"}) is None
    assert next_to_dispatch([], set()) is None


def test_submissions_ahead_counts_only_those_that_will_go_first() -> None:
    waiting = line("ani", "budi", "ani", "citra")

    assert submissions_ahead(waiting, set(), "t4") == 3
    assert submissions_ahead(waiting, {"ani"}, "t4") == 1
    assert submissions_ahead(waiting, {"ani"}, "t3") is None
    assert submissions_ahead(waiting, set(), "t9") is None


outcome = st.sampled_from(["delivered", "parked", "transient"])


@given(
    applicants=st.lists(st.sampled_from("abcde"), max_size=30),
    outcomes=st.lists(outcome, min_size=1, max_size=80),
)
def test_parking_never_lets_a_later_item_of_that_applicant_go_first_nor_blocks_others(
    applicants: list[str], outcomes: list[str]
) -> None:
    waiting = line(*applicants)
    first_parked: dict[str, int] = {}
    sent: list[WaitingSubmission] = []
    for result in outcomes:
        head = next_to_dispatch(waiting, first_parked.keys())
        unblocked = [item for item in waiting if item.applicant_key not in first_parked]
        assert head == min(unblocked, key=lambda item: item.sequence, default=None)
        if head is None:
            break
        sent.append(head)
        if result == "transient":
            continue
        waiting.remove(head)
        if result == "parked":
            first_parked.setdefault(head.applicant_key, head.sequence)

    for item in sent:
        parked_at = first_parked.get(item.applicant_key)
        assert parked_at is None or item.sequence <= parked_at
    sequences_in_sending_order = [item.sequence for item in dict.fromkeys(sent)]
    assert sequences_in_sending_order == sorted(sequences_in_sending_order)


@given(st.lists(st.sampled_from("abc"), min_size=1, max_size=20), st.integers(1, 5))
def test_transient_failures_never_let_anything_overtake_the_head(
    applicants: list[str], failures: int
) -> None:
    waiting = line(*applicants)
    head = next_to_dispatch(waiting, set())

    for _ in range(failures):
        assert next_to_dispatch(waiting, set()) == head == waiting[0]
