"""Schemathesis over an app's OpenAPI document, the same way for both services: no 5xx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import schemathesis
from hypothesis import HealthCheck, settings

# Positive cases only, besides the coverage phase's own invalid ones: random invalid bodies
# stop at validation, where they teach little and cost most of the time.
CONFIG = schemathesis.Config.from_dict({"generation": {"mode": "positive"}})

_Test = TypeVar("_Test", bound=Callable[..., Any])


def openapi_of(app: Any) -> schemathesis.schemas.BaseSchema:
    """The document `app` serves, its operations called in-process (lifespan run)."""
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


def fuzzing(max_examples: int) -> Callable[[_Test], _Test]:
    """Reproducible runs: a fixed derivation of examples, no deadline, nothing remembered."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def assert_no_server_error(case: schemathesis.Case[Any], *, bearer: str) -> None:
    """Called with valid credentials, so the fuzzing reaches what lies behind the check."""
    case.headers["Authorization"] = f"Bearer {bearer}"  # case-insensitive: replaces any

    response = case.call()

    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
