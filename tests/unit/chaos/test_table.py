"""The chaos suite's report."""

from __future__ import annotations

from chaos.invariants import Verdict
from chaos.table import Outcome, render


def test_one_row_per_scenario_and_the_offending_keys_of_a_failure() -> None:
    clean = Outcome("1 kill -9 queue_gate mid-replay", Verdict(acknowledged=40, received=40), 3.5)
    broken = Outcome(
        "5 SIGSTOP siak_monitor",
        Verdict(acknowledged=30, received=28, lost=["c-73.71-4", "c-73.71-7"]),
        recovered_s=None,
    )
    text = render([clean, broken])
    lines = text.splitlines()
    assert lines[2].startswith("| 1 kill -9 queue_gate mid-replay | 40")
    assert "PASS" in lines[2] and "FAIL" in lines[3]
    assert "5 SIGSTOP siak_monitor: I1 lost (2): c-73.71-4, c-73.71-7" in lines
    assert "5 SIGSTOP siak_monitor: did not recover within the limit" in lines


def test_a_scenario_that_could_not_run_is_an_error_not_a_pass() -> None:
    outcome = Outcome("4 kill -9 the broker", Verdict(), None, error="kafka did not restart")
    assert not outcome.passed
    assert "ERROR" in render([outcome])
    assert "4 kill -9 the broker: could not run: kafka did not restart" in render([outcome])


def test_what_a_scenario_saw_of_its_fault_is_printed_under_the_table() -> None:
    outcome = Outcome(
        "10 PostgreSQL out of connections",
        Verdict(acknowledged=20, received=20),
        4.0,
        notes={"gate sessions ended": 13, "answers 503 (no database)": 35},
    )
    assert outcome.passed
    assert (
        "10 PostgreSQL out of connections: the fault bit"
        " (gate sessions ended: 13, answers 503 (no database): 35)"
    ) in render([outcome]).splitlines()
