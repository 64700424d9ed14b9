"""Schemathesis over the monitor's OpenAPI document, on fakes: no operation answers 5xx."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from tests.unit.siak_monitor.fakes import FakeClock, ready_app
from tests.unit.siak_monitor.fakes import settings as monitor_settings

TOKEN = "secret-token"


class PassingClock(FakeClock):
    """Time moves on a little at every look, as it does between requests."""

    def __call__(self) -> datetime:
        return self.advance(0.5)


app = ready_app(monitor_settings(watch="73.71,73.06,91.71", admin_token=TOKEN), PassingClock())
# Positive cases only, besides the coverage phase's own invalid ones: random invalid bodies
# stop at validation, where they teach little and cost most of the time.
CONFIG = schemathesis.Config.from_dict({"generation": {"mode": "positive"}})
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


@schema.parametrize()
@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case: schemathesis.Case[Any]) -> None:
    # Valid credentials, so the fuzzing reaches what lies behind the admin check.
    case.headers["Authorization"] = f"Bearer {TOKEN}"

    response = case.call()

    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
