"""Intake while PostgreSQL cannot be reached or its commit queue is full: 503, never 500."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from services.queue_gate.ports import NewSubmission, StoreBusyError
from shared.events import SiakStatus
from tests.unit.queue_gate.fake_gate import API_KEY, running_gate
from tests.unit.queue_gate.fakes import FakePorts

SUBMISSION = {
    "region_code": "35.78",
    "service_type": "akta_kelahiran",
    "applicant": {"nik": "3578011205900001", "name": "Warga Uji"},
    "details": {"child_name": "Bayi", "birth_place": "Surabaya"},
}


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        # A pooled connection whose session the server ended (the connection limit's
        # holder had it terminated) fails its next use so:
        asyncpg.InternalClientError(
            "cannot switch to state 15; another operation (2) is in progress"
        ),
        asyncpg.exceptions.SerializationError("could not serialize access"),
        StoreBusyError("2048 writes already wait for a commit"),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_intake_answers_503_with_retry_after_when_the_store_cannot_take_it(
    error: Exception,
) -> None:
    response = await _submit_failing_with(error)

    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "unavailable"
    assert "3578011205900001" not in response.text


async def test_a_value_postgresql_refuses_is_no_unavailability() -> None:
    # An InterfaceError of a subclass says the gate sent something wrong: trying again later
    # would fail the same way, so it is not answered as "try again shortly".
    with pytest.raises(asyncpg.DataError):
        await _submit_failing_with(asyncpg.DataError("invalid input for query argument $1"))


async def _submit_failing_with(error: Exception, *, database_up: bool = True) -> httpx.Response:
    ports = FakePorts()
    await ports.region_is("35.78", SiakStatus.UP)

    async def unavailable(_submission: NewSubmission, *, backlog_cap: int) -> None:
        raise error

    ports.submissions.add = unavailable  # type: ignore[method-assign,assignment]
    async with running_gate(ports=ports) as gate:
        gate.edges.database.up = database_up
        return await gate.http.post(
            "/v1/submissions",
            json=SUBMISSION,
            headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "down-1"},
        )


async def test_any_error_while_postgresql_cannot_be_reached_is_answered_503() -> None:
    # A server killed mid-request surfaces through the driver in ways no list of types names.
    response = await _submit_failing_with(RuntimeError("odd driver state"), database_up=False)

    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0


async def test_the_same_error_with_postgresql_reachable_stays_the_gates_own_fault() -> None:
    with pytest.raises(RuntimeError):
        await _submit_failing_with(RuntimeError("a bug"), database_up=True)
