"""Schemathesis over the monitor's OpenAPI document, on fakes: no operation answers 5xx."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import schemathesis

from tests.support.openapi_fuzz import assert_no_server_error, fuzzing, openapi_of
from tests.unit.siak_monitor.fakes import FakeClock, ready_app
from tests.unit.siak_monitor.fakes import settings as monitor_settings

TOKEN = "secret-token"


class PassingClock(FakeClock):
    """Time moves on a little at every look, as it does between requests."""

    def __call__(self) -> datetime:
        return self.advance(0.5)


app = ready_app(monitor_settings(watch="73.71,73.06,91.71", admin_token=TOKEN), PassingClock())
schema = openapi_of(app)


@schema.parametrize()
@fuzzing(max_examples=100)
def test_no_operation_answers_a_server_error(case: schemathesis.Case[Any]) -> None:
    assert_no_server_error(case, bearer=TOKEN)
