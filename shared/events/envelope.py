"""The CloudEvents 1.0 envelope and its structured-mode encoding on Kafka."""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar, cast

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic.json_schema import SkipJsonSchema

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
DATASCHEMA_PREFIX = "urn:siakgate:schema:"
"""A `dataschema` is this prefix and the event type; the committed schema has it as `$id`."""
SUPPORTED_MAJOR_VERSION = 1


class EventData(BaseModel):
    """Base of every event's `data`: fields added by a newer producer are ignored, not refused."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    """CloudEvents `type`, ending in the major version of the data's shape."""


DataT = TypeVar("DataT", bound=EventData)
# Plain groups, not named ones: the pattern goes into the JSON Schemas, and `(?P<name>...)` is
# Python-only syntax that JavaScript and Java validators refuse to compile.
_VERSIONED_TYPE = re.compile(r"^([a-z0-9.-]+)\.v([0-9]+)$")

_NonEmpty = Annotated[str, Field(min_length=1)]


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 event; extension attributes of other producers are tolerated."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(pattern=_VERSIONED_TYPE.pattern)
    # Unset optional attributes are left out, never written as null: CloudEvents SDKs refuse
    # a null attribute (records of older producers that carry one are still read here).
    subject: _NonEmpty | SkipJsonSchema[None] = None
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: _NonEmpty | SkipJsonSchema[None] = None
    data: DataT


@dataclass(frozen=True)
class KafkaRecord:
    """What goes on the wire: key (region code), value (the event) and headers."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


class InvalidEventError(ValueError):
    """A record that is not a valid event of the expected type; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_event(data: DataT, *, source: str, subject: str) -> CloudEvent[DataT]:
    # Parametrised by the data's own class, so serialisation keeps every field of it.
    event_model = cast("type[CloudEvent[DataT]]", _event_model(type(data)))
    return event_model(
        source=source,
        type=data.event_type,
        subject=subject,
        dataschema=dataschema_for(type(data)),
        data=data,
    )


@functools.cache
def _event_model(data_model: type[EventData]) -> type[CloudEvent[Any]]:
    """`CloudEvent[data_model]`, built once: pydantic's own cache of parametrised classes
    holds them weakly, so without this one each event built its class again."""
    return cast("type[CloudEvent[Any]]", cast(Any, CloudEvent)[data_model])


def dataschema_for(data_model: type[EventData]) -> str:
    return DATASCHEMA_PREFIX + data_model.event_type


def encode_event(event: CloudEvent[Any]) -> KafkaRecord:
    # Only the envelope's unset attributes are left out: a null inside `data` says something.
    unset = {name for name, value in event if value is None}
    return KafkaRecord(
        key=(event.subject or "").encode(),
        value=event.model_dump_json(exclude=unset).encode(),
        headers=[("content-type", CLOUDEVENTS_CONTENT_TYPE.encode())],
    )


def decode_event(value: bytes, data_model: type[DataT]) -> CloudEvent[DataT]:
    """Parse a structured-mode record; refuse another spec version or another major version."""
    try:
        event = cast("type[CloudEvent[DataT]]", _event_model(data_model)).model_validate_json(value)
    except ValidationError as error:
        raise InvalidEventError(_describe(error)) from None
    expected = _VERSIONED_TYPE.match(data_model.event_type)
    received = _VERSIONED_TYPE.match(event.type)
    assert expected is not None
    if received is None or received[1] != expected[1]:
        raise InvalidEventError(f"type: expected {data_model.event_type}, got {event.type}")
    # Compared as digits, not converted: a version of thousands of digits is refused, where
    # int() would raise a plain ValueError that a consumer takes for a crash, not a bad record.
    if received[2].lstrip("0") != expected[2].lstrip("0"):
        raise InvalidEventError(f"type: unsupported major version in {event.type}")
    return event


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "event"
    return f"{location}: {first['msg']}"
