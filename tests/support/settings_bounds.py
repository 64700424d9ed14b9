"""Values no number in a service's settings may take: infinite, NaN, or far beyond any bound."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, get_args

import pytest
import uvicorn
from pydantic import BaseModel

NOT_FINITE = ("inf", "-inf", "nan", "1e300")
HUGE_INTEGER = str(10**30)


def numbers_of(model: type[BaseModel], kind: type) -> list[str]:
    """The fields of `model` holding a `kind` (or None)."""

    def is_kind(annotation: Any) -> bool:
        return set(get_args(annotation) or (annotation,)) - {types.NoneType} == {kind}

    return sorted(name for name, field in model.model_fields.items() if is_kind(field.annotation))


def out_of_bounds(model: type[BaseModel]) -> list[tuple[str, str]]:
    """(field, value) for every number of `model`: each value given as text, as read."""
    return [
        *[(name, value) for name in numbers_of(model, float) for value in NOT_FINITE],
        *[(name, HUGE_INTEGER) for name in numbers_of(model, int)],
    ]


def refusal_at_start(
    main: Callable[[], None], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[str | int | None, str]:
    """A service's `main` refusing to start: its exit code and what it printed (it must stop
    before serving anything)."""
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    with pytest.raises(SystemExit) as stopped:
        main()
    assert served == []
    return stopped.value.code, capsys.readouterr().err
