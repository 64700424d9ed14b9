"""Which PostgreSQL errors mean "away or busy, try again later": one rule for the whole gate."""

from __future__ import annotations

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.transient import TRANSIENT_TYPES, is_transient

TRANSIENT = [
    ConnectionResetError(104, "Connection reset by peer"),
    TimeoutError(),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
    asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
]
LASTING = [
    asyncpg.DataError("invalid input for query argument $1"),
    asyncpg.exceptions.UniqueViolationError("duplicate key value"),
    asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence"),
    ValueError("not a database error"),
]


@pytest.mark.parametrize("error", TRANSIENT, ids=lambda error: type(error).__name__)
def test_the_database_away_or_busy_is_transient_and_caught_as_such(error: Exception) -> None:
    assert is_transient(error)
    assert isinstance(error, TRANSIENT_TYPES)  # what the HTTP layer catches to ask


@pytest.mark.parametrize("error", LASTING, ids=lambda error: type(error).__name__)
def test_an_error_that_trying_again_would_repeat_is_not_transient(error: Exception) -> None:
    assert not is_transient(error)
