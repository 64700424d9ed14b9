"""The environment variables a settings class reads, for checking deployment files against it."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def settings_variables(settings: type[BaseSettings]) -> set[str]:
    """The environment variables `settings` reads, as its fields spell them."""
    prefix = settings.model_config.get("env_prefix") or ""
    delimiter = settings.model_config.get("env_nested_delimiter")
    names: set[str] = set()
    for field_name, field in settings.model_fields.items():
        if isinstance(field.validation_alias, str):
            names.add(field.validation_alias)
            continue
        model = _model_in(field.annotation)
        if model is not None and issubclass(model, BaseSettings):
            names |= settings_variables(model)
            continue
        names.add(f"{prefix}{field_name}".upper())
        if model is not None and delimiter:
            names |= {f"{prefix}{field_name}{delimiter}{sub}".upper() for sub in model.model_fields}
    return names
