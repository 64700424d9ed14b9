"""The CloudEvents contract other registry systems rely on."""

from __future__ import annotations

import gc
import json
import re
import weakref
from datetime import UTC, datetime

import pytest
from jsonschema import Draft7Validator

from shared import topics
from shared.events import (
    CLOUDEVENTS_CONTENT_TYPE,
    CentralStatusChanged,
    InvalidEventError,
    ProbeEvidence,
    SiakStatus,
    StatusChanged,
    decode_event,
    encode_event,
    new_event,
)
from shared.events.asyncapi import ASYNCAPI_PATH, asyncapi_document, rendered_asyncapi
from shared.events.envelope import dataschema_for
from shared.events.schemas import TOPIC_EVENTS, rendered_schemas
from tests.support.event_samples import SampleRecord, sample_records, uncovered_event_types
from tests.support.schemas import schema_errors

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def makassar_down() -> StatusChanged:
    return StatusChanged(
        region_code="73.71",
        status=SiakStatus.DOWN,
        previous_status=SiakStatus.UP,
        since=NOW,
        seq=7,
        reason="http_503",
        evidence=ProbeEvidence(checked_at=NOW, ok=False, http_status=503, latency_ms=12.5),
    )


def encoded(change: StatusChanged) -> dict[str, object]:
    record = encode_event(new_event(change, source="/tests", subject=change.region_code))
    parsed: dict[str, object] = json.loads(record.value)
    return parsed


def test_status_event_is_a_structured_cloudevent_keyed_by_region() -> None:
    record = encode_event(new_event(makassar_down(), source="/tests", subject="73.71"))
    body = json.loads(record.value)
    assert record.key == b"73.71"
    assert ("content-type", CLOUDEVENTS_CONTENT_TYPE.encode()) in record.headers
    assert body["specversion"] == "1.0"
    assert body["type"] == "id.siakgate.siak.status.changed.v1"
    assert body["subject"] == "73.71"
    assert body["datacontenttype"] == "application/json"
    assert body["data"]["status"] == "DOWN"
    assert body["data"]["evidence"]["http_status"] == 503


def test_round_trip_keeps_every_field() -> None:
    record = encode_event(new_event(makassar_down(), source="/tests", subject="73.71"))
    assert decode_event(record.value, StatusChanged).data == makassar_down()


def test_the_envelope_class_of_a_data_class_is_built_once_and_kept() -> None:
    # Rebuilt per event it cost 4 % of the gate's intake (decision 18): pydantic's own cache
    # of parametrised classes holds them weakly, so one outlived no event of its own.
    built = weakref.ref(type(new_event(makassar_down(), source="/tests", subject="73.71")))
    gc.collect()
    again = new_event(makassar_down(), source="/tests", subject="73.71")

    assert built() is type(again)
    assert type(decode_event(encode_event(again).value, StatusChanged)) is type(again)


def test_fields_from_a_newer_producer_are_tolerated() -> None:
    body = encoded(makassar_down())
    body["partitionkey"] = "73.71"
    data = body["data"]
    assert isinstance(data, dict)
    data["region_name"] = "Kota Makassar"
    event = decode_event(json.dumps(body).encode(), StatusChanged)
    assert event.data.seq == 7


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("specversion", "0.3", "specversion"),
        ("type", "id.siakgate.siak.status.changed.v2", "unsupported major version"),
        ("type", "id.siakgate.something.else.v1", "expected id.siakgate.siak.status.changed.v1"),
    ],
)
def test_other_spec_or_major_versions_are_refused(field: str, value: str, reason: str) -> None:
    body = encoded(makassar_down())
    body[field] = value
    with pytest.raises(InvalidEventError, match=reason):
        decode_event(json.dumps(body).encode(), StatusChanged)


def test_malformed_data_is_refused_with_the_field_named() -> None:
    body = encoded(makassar_down())
    data = body["data"]
    assert isinstance(data, dict)
    data["region_code"] = "7371"
    with pytest.raises(InvalidEventError, match=r"data\.region_code"):
        decode_event(json.dumps(body).encode(), StatusChanged)


def _central_record(**data: object) -> bytes:
    central = CentralStatusChanged(
        target="central",
        status=SiakStatus.DOWN,
        previous_status=None,
        since=NOW,
        seq=1,
        affected_regions=3,
    )
    body = json.loads(encode_event(new_event(central, source="/tests", subject="central")).value)
    body["data"].update(data)
    return json.dumps(body).encode()


@pytest.mark.parametrize("field", ["seq", "epoch"])
def test_a_central_status_order_past_a_signed_64_bit_integer_is_refused(field: str) -> None:
    with pytest.raises(InvalidEventError, match=rf"data\.{field}"):
        decode_event(_central_record(**{field: 2**63}), CentralStatusChanged)


def test_a_central_status_of_a_monitor_predating_epochs_is_read_in_epoch_0() -> None:
    record = _central_record(seq=2**63 - 1)
    decoded = json.loads(record)
    decoded["data"].pop("epoch", None)

    central = decode_event(json.dumps(decoded).encode(), CentralStatusChanged).data

    assert (central.epoch, central.seq) == (0, 2**63 - 1)


def test_not_json_is_refused() -> None:
    with pytest.raises(InvalidEventError):
        decode_event(b"\x00not json", StatusChanged)


def test_committed_json_schemas_are_current() -> None:
    for path, text in rendered_schemas().items():
        assert path.exists(), f"{path.name} is missing: run `make schemas`"
        assert path.read_text() == text, f"{path.name} is stale: run `make schemas`"


def test_every_topic_but_dead_letters_has_schemas_and_an_asyncapi_channel() -> None:
    document = asyncapi_document()
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {spec.name for spec in topics.TOPICS if spec.public}
    for message in document["components"]["messages"].values():
        reference = message["payload"]["schema"]["$ref"]
        assert (ASYNCAPI_PATH.parent / reference).exists(), reference


def test_committed_asyncapi_document_is_current() -> None:
    assert ASYNCAPI_PATH.read_text() == rendered_asyncapi(), "stale: run `make schemas`"


def test_unset_optional_attributes_are_left_out_not_null() -> None:
    event = new_event(makassar_down(), source="/tests", subject="73.71")
    body = json.loads(encode_event(event.model_copy(update={"dataschema": None})).value)
    assert "dataschema" not in body
    assert body["data"]["expected_return_at"] is None, "a null inside data is kept: it says so"


@pytest.mark.parametrize("sample", sample_records(), ids=lambda sample: sample.model.__name__)
def test_every_event_the_services_encode_has_no_null_attribute_and_names_its_schema(
    sample: SampleRecord,
) -> None:
    body = json.loads(sample.record.value)
    attributes = {name: value for name, value in body.items() if name != "data"}
    assert None not in attributes.values(), attributes
    [committed] = [event for event in TOPIC_EVENTS if event.model is sample.model]
    assert body["dataschema"] == json.loads(committed.schema_path.read_text())["$id"]
    assert schema_errors(sample.record.value, sample.model) == []


def test_every_event_type_has_a_sample_and_a_dataschema_of_its_own() -> None:
    assert uncovered_event_types() == set()
    dataschemas = {dataschema_for(event.model) for event in TOPIC_EVENTS}
    assert len(dataschemas) == len(TOPIC_EVENTS)


def test_records_of_older_producers_with_null_attributes_are_still_read() -> None:
    body = encoded(makassar_down())
    body["dataschema"] = None
    assert decode_event(json.dumps(body).encode(), StatusChanged).data == makassar_down()


# Python-only or unportable regex syntax (named groups, shorthand classes that match Unicode in
# Python, \A \Z, \p, inline flags, lookbehind, escaped non-syntax characters such as `\-`
# outside a class): JavaScript (ajv) or Java validators refuse or read them differently.
_UNPORTABLE = re.compile(r"\(\?P|\(\?<|\(\?[a-z]|\\[dDwWsSbBAZzpP]|\\[-_]")


def _patterns(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return own + [found for value in node.values() for found in _patterns(value)]
    if isinstance(node, list):
        return [found for item in node for found in _patterns(item)]
    return []


def test_committed_schemas_are_draft_07_with_portable_patterns_only() -> None:
    for event in TOPIC_EVENTS:
        schema = json.loads(event.schema_path.read_text())
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        Draft7Validator.check_schema(schema)
        patterns = _patterns(schema)
        assert patterns, event.schema_path.name
        for pattern in patterns:
            assert not _UNPORTABLE.search(pattern), f"{event.schema_path.name}: {pattern}"


def test_the_unportable_pattern_check_catches_what_javascript_refuses() -> None:
    for pattern in [r"^(?P<name>x)$", r"^\d+$", r"^a\-b$", r"^(?i)abc$", r"x\Z", r"(?<=a)b"]:
        assert _UNPORTABLE.search(pattern), pattern
    for pattern in [r"^[a-z0-9.-]+$", r"^[0-9]{2}\.[0-9]{2}$", r"^[^\x00-\x1f\x7f]*$"]:
        assert not _UNPORTABLE.search(pattern), pattern


def test_asyncapi_payloads_use_a_schema_format_the_parser_checks() -> None:
    for message in asyncapi_document()["components"]["messages"].values():
        assert message["payload"]["schemaFormat"] == "application/schema+json;version=draft-07"
