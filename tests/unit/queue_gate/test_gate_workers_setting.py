"""GATE_WORKERS: how many processes serve the gate, checked before any of them starts."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from services.queue_gate import __main__ as gate_main
from services.queue_gate import workers as gate_workers
from services.queue_gate.settings import MAX_WORKERS

REQUIRED = {
    "GATE_ADMIN_TOKEN": "admin-token",
    "GATE_APPLICANT_KEY_SECRET": "s" * 32,
    "GATE_DATA_KEY": "A" * 43,
}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, dict[str, Any]]]:
    """What `main` hands uvicorn, instead of serving."""
    calls: list[tuple[object, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return calls


def test_one_process_serves_the_app_built_here_by_default(
    served: list[tuple[object, dict[str, Any]]],
) -> None:
    gate_main.main()

    [(app, options)] = served
    assert not isinstance(app, str)
    assert options.get("workers", 1) == 1
    assert options["access_log"] is False


def test_more_workers_each_build_the_app_from_the_environment(
    served: list[tuple[object, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATE_WORKERS", "2")
    started: list[tuple[uvicorn.Config, int]] = []

    def serve(config: uvicorn.Config, workers: int) -> int:
        started.append((config, workers))
        return 0

    monkeypatch.setattr(gate_workers, "serve", serve)

    with pytest.raises(SystemExit) as stopped:
        gate_main.main()

    assert stopped.value.code == 0
    assert served == []
    [(config, workers)] = started
    assert workers == 2
    assert config.app == gate_main.APP_FACTORY
    assert config.factory is True
    assert config.workers == 2
    assert config.access_log is False
    module, _, factory = gate_main.APP_FACTORY.partition(":")
    assert module == gate_main.__name__
    assert getattr(gate_main, factory) is gate_main.app_from_environment


@pytest.mark.parametrize("value", ["0", "-1", "two", str(MAX_WORKERS + 1)])
def test_an_invalid_worker_count_stops_the_gate_naming_the_variable(
    served: list[tuple[object, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
) -> None:
    monkeypatch.setenv("GATE_WORKERS", value)

    with pytest.raises(SystemExit) as stopped:
        gate_main.main()

    assert stopped.value.code == gate_main.INVALID_CONFIGURATION
    assert capsys.readouterr().err.startswith("invalid configuration: GATE_WORKERS: ")
    assert served == []
