"""Whatever bytes a topic holds, a decoder reads an event or refuses it with a reason naming
where it is wrong, and the gate's consumers dead-letter what they refuse: none raises."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.queue_gate.entrypoints.status_consumer import (
    Persistence,
    consume_heartbeat_record,
    consume_status_record,
)
from shared.events import InvalidEventError, MonitorHeartbeat, StatusChanged, decode_event
from shared.events.envelope import EventData
from shared.regions import load_registry
from tests.support.event_samples import sample_records

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
REASON = re.compile(r"^\w[^:\s]*: \S")
"""`<where>: <what>`: the attribute or data field at fault, `event` for the record as a whole."""

SAMPLES = {sample.model: sample for sample in reversed(sample_records())}
MODELS = list(SAMPLES)
HUGE_VERSION = "v" + "1" * 5000
"""More digits than Python converts to an int by default (4300)."""

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.sampled_from(["\ud800", "\x00", "73.71", "UP", "1.0", "2026-11-28T02:00:00Z"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)


def assert_read_or_refused(value: bytes, model: type[EventData]) -> None:
    try:
        decode_event(value, model)
    except InvalidEventError as error:
        assert REASON.match(error.reason), error.reason


def as_record(document: Any) -> bytes:
    # Lone surrogates as escapes, the way another producer's JSON may carry them.
    return json.dumps(document, ensure_ascii=True).encode()


def sample_document(model: type[EventData]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SAMPLES[model].record.value)
    return document


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@FUZZ
@given(value=st.binary(max_size=200))
@example(value=b"")
@example(value=b"\xff\xfe")
@example(value=b"[" * 10_000)
@example(value=b'{"data": "\xed\xa0\x80"}')
def test_arbitrary_bytes_are_read_or_refused(model: type[EventData], value: bytes) -> None:
    assert_read_or_refused(value, model)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@FUZZ
@given(document=json_values)
def test_arbitrary_json_is_read_or_refused(model: type[EventData], document: Any) -> None:
    assert_read_or_refused(as_record(document), model)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@FUZZ
@given(data=st.data(), value=json_values)
def test_a_record_with_one_attribute_spoilt_is_read_or_refused(
    model: type[EventData], data: st.DataObject, value: Any
) -> None:
    document = sample_document(model)
    inside = data.draw(st.sampled_from([document, document["data"]]), label="where")
    name = data.draw(st.sampled_from(sorted(inside)) | st.text(max_size=8), label="name")
    inside[name] = value
    assert_read_or_refused(as_record(document), model)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@FUZZ
@given(version=st.from_regex(r"\Av[0-9]{1,30}\Z") | st.just(HUGE_VERSION))
@example(version=HUGE_VERSION)
def test_any_version_of_the_type_is_read_or_refused(model: type[EventData], version: str) -> None:
    document = sample_document(model)
    document["type"] = document["type"].rsplit(".", 1)[0] + "." + version
    assert_read_or_refused(as_record(document), model)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_a_major_version_too_long_to_be_a_number_is_refused(model: type[EventData]) -> None:
    document = sample_document(model)
    document["type"] = document["type"].rsplit(".", 1)[0] + "." + HUGE_VERSION
    with pytest.raises(InvalidEventError, match=r"^type: unsupported major version"):
        decode_event(as_record(document), model)


class Consumer:
    """A consumer's collaborators: what it applied, what it dead-lettered and why."""

    def __init__(self) -> None:
        self.applied: list[object] = []
        self.dead_letters: list[str] = []
        self.persistence = Persistence(tries=1, sleep=self._no_wait)

    async def apply(self, change: StatusChanged) -> bool:
        self.applied.append(change)
        return True

    async def record_heartbeat(
        self,
        heartbeat: MonitorHeartbeat,
        *,
        offset: int | None = None,
        record_time: datetime | None = None,
    ) -> None:
        self.applied.append(heartbeat)

    async def dead_letter(self, reason: str) -> None:
        self.dead_letters.append(reason)

    @staticmethod
    async def _no_wait(_seconds: float) -> None:
        return None


def spoilt_records(model: type[EventData]) -> st.SearchStrategy[bytes]:
    def spoil(document: dict[str, Any], name: str, value: Any, inside_data: bool) -> bytes:
        (document["data"] if inside_data else document)[name] = value
        return as_record(document)

    return st.binary(max_size=100) | st.builds(
        spoil,
        st.builds(lambda: sample_document(model)),
        st.sampled_from(sorted(sample_document(model)["data"])) | st.sampled_from(["type", "id"]),
        json_values,
        st.booleans(),
    )


@FUZZ
@given(value=spoilt_records(StatusChanged))
@example(value=as_record({**sample_document(StatusChanged), "type": f"x.{HUGE_VERSION}"}))
@example(
    value=as_record(
        {
            **sample_document(StatusChanged),
            "type": f"id.siakgate.siak.status.changed.{HUGE_VERSION}",
        }
    )
)
def test_the_gate_applies_or_dead_letters_every_status_record(value: bytes) -> None:
    consumer = Consumer()

    asyncio.run(
        consume_status_record(
            value,
            apply_change=consumer.apply,
            dead_letter=consumer.dead_letter,
            persistence=consumer.persistence,
            registry=load_registry(),
        )
    )

    assert len(consumer.applied) + len(consumer.dead_letters) == 1
    assert all(REASON.match(reason) for reason in consumer.dead_letters), consumer.dead_letters


@FUZZ
@given(value=spoilt_records(MonitorHeartbeat))
def test_the_gate_applies_or_dead_letters_every_heartbeat(value: bytes) -> None:
    consumer = Consumer()

    asyncio.run(
        consume_heartbeat_record(
            value,
            store=consumer,  # type: ignore[arg-type]
            dead_letter=consumer.dead_letter,
            persistence=consumer.persistence,
        )
    )

    assert len(consumer.applied) + len(consumer.dead_letters) == 1
    assert all(REASON.match(reason) for reason in consumer.dead_letters), consumer.dead_letters
