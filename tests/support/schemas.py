"""Checking a record against the committed JSON Schema of its kind of event."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from shared.events.envelope import EventData
from shared.events.schemas import TOPIC_EVENTS


def committed_schema(model: type[EventData]) -> dict[str, Any]:
    [event] = [event for event in TOPIC_EVENTS if event.model is model]
    schema: dict[str, Any] = json.loads(event.schema_path.read_text())
    return schema


def data_schema(envelope: dict[str, Any]) -> dict[str, Any]:
    """The part of an event's committed schema that its `data` follows, as a schema of its own.

    Under `allOf` rather than beside the `$ref`: draft-07 ignores keywords next to a `$ref`.
    """
    return {
        "$schema": envelope["$schema"],
        "definitions": envelope["definitions"],
        "allOf": [envelope["properties"]["data"]],
    }


@cache
def _validator(model: type[EventData]) -> Validator:
    return _checked_validator(committed_schema(model))


@cache
def _data_validator(model: type[EventData]) -> Validator:
    return _checked_validator(data_schema(committed_schema(model)))


def _checked_validator(schema: dict[str, Any]) -> Validator:
    # The dialect the schema names ($schema), checked first: a broken schema is an error here.
    dialect = validator_for(schema, default=Draft7Validator)
    dialect.check_schema(schema)
    return dialect(schema, format_checker=dialect.FORMAT_CHECKER)


def schema_errors(value: bytes, model: type[EventData]) -> list[str]:
    """Every way the record breaks its committed schema; empty when it conforms."""
    return [
        f"{'.'.join(map(str, error.absolute_path)) or 'event'}: {error.message}"
        for error in _validator(model).iter_errors(json.loads(value))
    ]


def data_errors(data: object, model: type[EventData]) -> list[str]:
    """Every way an event's `data` breaks the committed schema; empty when it conforms."""
    return [
        f"{'.'.join(map(str, error.absolute_path)) or 'data'}: {error.message}"
        for error in _data_validator(model).iter_errors(data)
    ]
