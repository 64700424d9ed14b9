"""Every number the gate reads from its environment is finite and bounded: a value that would
overflow later (a `timedelta` of 1e300 seconds) or lift a timeout altogether stops the gate at
start with one line naming the variable, not a traceback."""

from __future__ import annotations

import pytest

from services.queue_gate import __main__ as gate_main
from services.queue_gate.settings import GateSettings
from tests.support.settings_bounds import HUGE_INTEGER, out_of_bounds, refusal_at_start

REQUIRED = {
    "GATE_ADMIN_TOKEN": "admin-token",
    "GATE_APPLICANT_KEY_SECRET": "s" * 32,
    "GATE_DATA_KEY": "A" * 43,
}
CASES = out_of_bounds(GateSettings)


def test_every_duration_and_count_is_covered() -> None:
    names = {name for name, _ in CASES}
    assert {"stale_after_s", "retention_days", "siak_timeout_s", "backlog_cap"} <= names


@pytest.mark.parametrize(("name", "value"), CASES)
def test_a_number_out_of_bounds_stops_the_gate_naming_the_variable(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    variable = f"GATE_{name.upper()}"
    for required, given in {**REQUIRED, variable: value}.items():
        monkeypatch.setenv(required, given)

    code, printed = refusal_at_start(gate_main.main, monkeypatch, capsys)

    assert code == gate_main.INVALID_CONFIGURATION
    assert printed.startswith(f"invalid configuration: {variable}: ")


def test_a_huge_replication_factor_stops_the_gate_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    variable = "KAFKA_TOPIC_REPLICATION_FACTOR"
    for required, given in {**REQUIRED, variable: HUGE_INTEGER}.items():
        monkeypatch.setenv(required, given)

    code, printed = refusal_at_start(gate_main.main, monkeypatch, capsys)

    assert code == gate_main.INVALID_CONFIGURATION
    assert variable in printed


@pytest.mark.parametrize("name", ["initial_rate", "max_rate"])
def test_a_rate_too_small_to_estimate_with_stops_the_gate_naming_the_variable(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    variable = f"GATE_{name.upper()}"
    for required, given in {**REQUIRED, variable: "1e-300"}.items():
        monkeypatch.setenv(required, given)

    code, printed = refusal_at_start(gate_main.main, monkeypatch, capsys)

    assert code == gate_main.INVALID_CONFIGURATION
    assert printed.startswith(f"invalid configuration: {variable}: ")
