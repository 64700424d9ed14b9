"""Which PostgreSQL errors pass once the server or the network is back, and which never will."""

from __future__ import annotations

import asyncpg

_PASSING = (
    OSError,  # refused, reset, timed out (TimeoutError is one)
    asyncpg.PostgresConnectionError,  # class 08
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up
    asyncpg.exceptions.TransactionRollbackError,  # class 40: serialization, deadlock
    # The next use of a pooled connection whose session the server ended while it sat idle
    # ("cannot switch to state 15; another operation (2) is in progress"): the pool drops it.
    asyncpg.InternalClientError,
)
TRANSIENT_TYPES: tuple[type[Exception], ...] = (*_PASSING, asyncpg.InterfaceError)
"""Every type a transient error is an instance of: what to catch before asking `is_transient`."""


def is_transient(error: BaseException) -> bool:
    """True for the database being away or busy: trying again later may succeed."""
    # Subclasses of InterfaceError say the input or the client is wrong (DataError: a value
    # PostgreSQL cannot take); InterfaceError itself says the connection is closed or busy.
    return isinstance(error, _PASSING) or type(error) is asyncpg.InterfaceError
