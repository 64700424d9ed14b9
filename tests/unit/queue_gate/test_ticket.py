"""A submission's life cycle and its ticket id."""

from __future__ import annotations

import itertools

import pytest

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.ticket import (
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    IllegalTransitionError,
    SubmissionState,
    is_ticket_id,
    new_ticket_id,
    state_on_acceptance,
    transition,
)

S = SubmissionState


def test_accepted_behind_a_closed_gate_is_deferred_otherwise_queued() -> None:
    assert state_on_acceptance(GateState.CLOSED) is S.DEFERRED
    assert state_on_acceptance(GateState.RECOVERING) is S.QUEUED
    assert state_on_acceptance(GateState.OPEN) is S.QUEUED


@pytest.mark.parametrize(
    "path",
    [
        [S.QUEUED, S.DISPATCHING, S.DELIVERED],
        [S.DEFERRED, S.DISPATCHING, S.DEFERRED, S.DISPATCHING, S.DELIVERED],
        [S.QUEUED, S.DEFERRED, S.DISPATCHING, S.QUEUED, S.DISPATCHING, S.DELIVERED],
        [S.DEFERRED, S.DISPATCHING, S.PARKED, S.QUEUED, S.DISPATCHING, S.DELIVERED],
        [S.QUEUED, S.DISPATCHING, S.PARKED, S.CANCELLED],
        [S.DEFERRED, S.CANCELLED],
    ],
)
def test_submissions_follow_their_life_cycle(path: list[SubmissionState]) -> None:
    state = path[0]
    for target in path[1:]:
        state = transition(state, target)

    assert state is path[-1]


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.DELIVERED, S.CANCELLED),
        (S.DELIVERED, S.DISPATCHING),
        (S.CANCELLED, S.QUEUED),
        (S.DISPATCHING, S.CANCELLED),
        (S.PARKED, S.DELIVERED),
        (S.DEFERRED, S.DELIVERED),
        (S.QUEUED, S.QUEUED),
    ],
)
def test_an_illegal_transition_is_refused_with_both_states_named(
    current: SubmissionState, target: SubmissionState
) -> None:
    with pytest.raises(
        IllegalTransitionError, match=f"a {current} submission cannot become {target}"
    ):
        transition(current, target)


def test_delivered_and_cancelled_are_final() -> None:
    for final, target in itertools.product(FINAL_STATES, SubmissionState):
        with pytest.raises(IllegalTransitionError):
            transition(final, target)


def test_every_state_has_a_row_in_the_transition_table() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(SubmissionState)


def test_ticket_ids_are_prefixed_and_carry_128_random_bits() -> None:
    ticket_id = new_ticket_id()

    assert ticket_id.startswith("tkt_")
    assert len(ticket_id) == len("tkt_") + 22
    assert is_ticket_id(ticket_id)


def test_ticket_ids_do_not_repeat() -> None:
    assert len({new_ticket_id() for _ in range(10_000)}) == 10_000


def test_an_injected_random_source_gives_repeatable_ticket_ids() -> None:
    assert new_ticket_id(bytes) == "tkt_AAAAAAAAAAAAAAAAAAAAAA"
    assert new_ticket_id(lambda size: b"\xff" * size) == "tkt______________________w"


def test_a_random_source_giving_too_few_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="16 random bytes"):
        new_ticket_id(lambda size: b"\x01" * (size - 1))


@pytest.mark.parametrize(
    "text", ["", "tkt_", "TKT_AAAAAAAAAAAAAAAAAAAAAA", "tkt_AAAA/AAAAAAAAAAAAAAAAA"]
)
def test_strings_that_are_not_ticket_ids_are_recognised(text: str) -> None:
    assert not is_ticket_id(text)
