"""Schemathesis over the gate's OpenAPI document, on fakes: no operation answers 5xx."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import schemathesis

from shared.events import SiakStatus
from tests.support.openapi_fuzz import assert_no_server_error, fuzzing, openapi_of
from tests.unit.queue_gate.fake_gate import ADMIN_TOKEN, API_KEY, gate_app, gate_settings
from tests.unit.queue_gate.fakes import FakeClock, FakePorts


class PassingClock(FakeClock):
    """Time moves on a little at every look, as it does between requests."""

    def __call__(self) -> datetime:
        self.advance(timedelta(milliseconds=100))
        return self.now


async def regions_in_every_state(ports: FakePorts) -> None:
    """Some regions heard of, one of them down, so the routes show and gate something."""
    await ports.region_is("73.71", SiakStatus.UP)
    await ports.region_is("73.09", SiakStatus.DOWN)
    await ports.region_is("35.78", SiakStatus.DEGRADED)


app = gate_app(gate_settings(), FakePorts(PassingClock()), scene=regions_in_every_state)
schema = openapi_of(app)


@schema.parametrize()
@fuzzing(max_examples=50)
def test_no_operation_answers_a_server_error(case: schemathesis.Case[Any]) -> None:
    admin = case.path.startswith("/v1/admin/")
    assert_no_server_error(case, bearer=ADMIN_TOKEN if admin else API_KEY)
