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


@cache
def _validator(model: type[EventData]) -> Validator:
    [event] = [event for event in TOPIC_EVENTS if event.model is model]
    schema: dict[str, Any] = json.loads(event.schema_path.read_text())
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
