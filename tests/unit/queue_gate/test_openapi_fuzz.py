"""Schemathesis over the gate's OpenAPI document, on fakes: no operation answers 5xx."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import schemathesis

from tests.support.openapi_fuzz import assert_no_server_error, fuzzing, openapi_of
from tests.unit.queue_gate.fake_gate import ADMIN_TOKEN, API_KEY, gate_app, gate_settings
from tests.unit.queue_gate.fakes import FakeClock, FakePorts


class PassingClock(FakeClock):
    """Time moves on a little at every look, as it does between requests."""

    def __call__(self) -> datetime:
        self.advance(timedelta(milliseconds=100))
        return self.now


app = gate_app(gate_settings(), FakePorts(PassingClock()))
schema = openapi_of(app)


@schema.parametrize()
@fuzzing(max_examples=50)
def test_no_operation_answers_a_server_error(case: schemathesis.Case[Any]) -> None:
    admin = case.path.startswith("/v1/admin/")
    assert_no_server_error(case, bearer=ADMIN_TOKEN if admin else API_KEY)
