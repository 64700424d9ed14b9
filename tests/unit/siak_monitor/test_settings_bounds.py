"""Every number the monitor is configured with is finite and bounded: a value that would
overflow later or lift a timeout altogether stops the monitor at start with one line naming
the setting, not a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.siak_monitor import __main__ as entrypoint
from services.siak_monitor.settings import (
    CONFIG_FILE_VARIABLE,
    PROXY_VARIABLES,
    MonitorSettings,
    ParentTarget,
    TargetOverride,
    describe_invalid_settings,
)
from tests.support.settings_bounds import NOT_FINITE, numbers_of, out_of_bounds, refusal_at_start

CASES = out_of_bounds(MonitorSettings)


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
    name: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(f"MONITOR_{name.upper()}", value)

    code, printed = refusal_at_start(entrypoint.main, monkeypatch, capsys)

    assert code == entrypoint.INVALID_CONFIGURATION
    assert printed.startswith(f"invalid configuration: {name}: ")


NESTED = [
    *[
        ("targets", "73.71", name, value)
        for name in numbers_of(TargetOverride, float)
        for value in NOT_FINITE
    ],
    *[
        ("parent", None, name, value)
        for name in numbers_of(ParentTarget, float)
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

    where = ".".join(step for step in (part, key, name) if step is not None)
    assert describe_invalid_settings(refused.value).startswith(f"invalid configuration: {where}: ")
