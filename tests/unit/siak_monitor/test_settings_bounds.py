"""Every number the monitor is configured with is finite and bounded: a value that would
overflow later or lift a timeout altogether stops the monitor at start with one line naming
the setting, not a traceback."""

from __future__ import annotations

import types
from typing import Any, get_args

import pytest
import uvicorn
from pydantic import BaseModel, ValidationError

from services.siak_monitor import __main__ as entrypoint
from services.siak_monitor.settings import (
    CONFIG_FILE_VARIABLE,
    PROXY_VARIABLES,
    MonitorSettings,
    ParentTarget,
    TargetOverride,
    describe_invalid_settings,
)

HUGE_INTEGER = str(10**30)
NOT_FINITE = ("inf", "-inf", "nan", "1e300")


def _numbers_of(model: type[BaseModel], kind: type) -> list[str]:
    def is_kind(annotation: Any) -> bool:
        kinds = set(get_args(annotation) or (annotation,)) - {types.NoneType}
        return kinds == {kind}

    return sorted(name for name, field in model.model_fields.items() if is_kind(field.annotation))


CASES = [
    *[(name, value) for name in _numbers_of(MonitorSettings, float) for value in NOT_FINITE],
    *[(name, HUGE_INTEGER) for name in _numbers_of(MonitorSettings, int)],
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_FILE_VARIABLE, raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_every_duration_and_count_is_covered() -> None:
    names = {name for name, _ in CASES}
    assert {"probe_timeout_s", "flap_window_s", "heartbeat_period_s", "history_size"} <= names


@pytest.mark.parametrize(("name", "value"), CASES)
def test_a_number_out_of_bounds_stops_the_monitor_naming_the_setting(
    name: str,
    value: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    monkeypatch.setenv(f"MONITOR_{name.upper()}", value)

    with pytest.raises(SystemExit) as stopped:
        entrypoint.main()

    assert stopped.value.code == entrypoint.INVALID_CONFIGURATION
    assert capsys.readouterr().err.startswith(f"invalid configuration: {name}: ")
    assert served == []


NESTED = [
    *[
        ("targets", "73.71", name, value)
        for name in _numbers_of(TargetOverride, float)
        for value in NOT_FINITE
    ],
    *[
        ("parent", None, name, value)
        for name in _numbers_of(ParentTarget, float)
        for value in NOT_FINITE
    ],
]


@pytest.mark.parametrize(("part", "key", "name", "value"), NESTED)
def test_a_number_out_of_bounds_in_a_target_is_refused_naming_it(
    part: str, key: str | None, name: str, value: str
) -> None:
    given: dict[str, Any] = {name: value}
    if part == "parent":
        given["url"] = "http://siak/health"
    with pytest.raises(ValidationError) as refused:
        MonitorSettings.model_validate(
            {"watch": "73.71", part: {key: given} if key is not None else given}
        )

    where = ".".join(part for part in (part, key, name) if part is not None)
    assert describe_invalid_settings(refused.value).startswith(f"invalid configuration: {where}: ")
