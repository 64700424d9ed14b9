"""GATE_FORWARDED_ALLOW_IPS: whose X-Forwarded-For the gate believes (uvicorn's proxy headers)."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from services.queue_gate import __main__ as gate_main

REQUIRED = {
    "GATE_ADMIN_TOKEN": "admin-token",
    "GATE_APPLICANT_KEY_SECRET": "s" * 32,
    "GATE_DATA_KEY": "A" * 43,
}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    return calls


def test_by_default_no_one_may_say_where_a_request_came_from(
    served: list[dict[str, Any]],
) -> None:
    gate_main.main()

    [options] = served
    assert options["proxy_headers"] is False
    assert options["forwarded_allow_ips"] == []


def test_the_ingress_controllers_addresses_may_be_trusted(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATE_FORWARDED_ALLOW_IPS", '["10.42.0.0/16", "10.43.0.9"]')

    gate_main.main()

    [options] = served
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.42.0.0/16", "10.43.0.9"]


def test_an_address_that_is_not_one_stops_the_gate_naming_the_variable(
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GATE_FORWARDED_ALLOW_IPS", '["ingress-nginx"]')

    with pytest.raises(SystemExit):
        gate_main.main()

    assert "GATE_FORWARDED_ALLOW_IPS" in capsys.readouterr().err
    assert served == []
