"""Every number the gate reads from its environment is finite and bounded: a value that would
overflow later (a `timedelta` of 1e300 seconds) or lift a timeout altogether stops the gate at
start with one line naming the variable, not a traceback."""

from __future__ import annotations

import types
from typing import Any, get_args

import pytest
import uvicorn

from services.queue_gate import __main__ as gate_main
from services.queue_gate.settings import GateSettings

REQUIRED = {
    "GATE_ADMIN_TOKEN": "admin-token",
    "GATE_APPLICANT_KEY_SECRET": "s" * 32,
    "GATE_DATA_KEY": "A" * 43,
}
HUGE_INTEGER = str(10**30)


def _numbers_of(kind: type) -> list[str]:
    def is_kind(annotation: Any) -> bool:
        kinds = set(get_args(annotation) or (annotation,)) - {types.NoneType}
        return kinds == {kind}

    return sorted(
        name for name, field in GateSettings.model_fields.items() if is_kind(field.annotation)
    )


CASES = [
    *[(name, value) for name in _numbers_of(float) for value in ("inf", "-inf", "nan", "1e300")],
    *[(name, HUGE_INTEGER) for name in _numbers_of(int)],
]


def test_every_duration_and_count_is_covered() -> None:
    names = {name for name, _ in CASES}
    assert {"stale_after_s", "retention_days", "siak_timeout_s", "backlog_cap"} <= names


@pytest.mark.parametrize(("name", "value"), CASES)
def test_a_number_out_of_bounds_stops_the_gate_naming_the_variable(
    name: str,
    value: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    for variable, required in REQUIRED.items():
        monkeypatch.setenv(variable, required)
    variable = f"GATE_{name.upper()}"
    monkeypatch.setenv(variable, value)

    with pytest.raises(SystemExit) as stopped:
        gate_main.main()

    assert stopped.value.code == gate_main.INVALID_CONFIGURATION
    assert capsys.readouterr().err.startswith(f"invalid configuration: {variable}: ")
    assert served == []


def test_a_huge_replication_factor_stops_the_gate_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    for variable, required in REQUIRED.items():
        monkeypatch.setenv(variable, required)
    monkeypatch.setenv("KAFKA_TOPIC_REPLICATION_FACTOR", HUGE_INTEGER)

    with pytest.raises(SystemExit) as stopped:
        gate_main.main()

    assert stopped.value.code == gate_main.INVALID_CONFIGURATION
    assert "KAFKA_TOPIC_REPLICATION_FACTOR" in capsys.readouterr().err
