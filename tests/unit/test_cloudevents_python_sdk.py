"""Subscribers in Python read every event the services encode, with the CloudEvents SDK 2.x."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat

from shared.events import StatusChanged, encode_event, new_event
from tests.support.cloudevents_sdk import read_with_python_sdk
from tests.support.event_samples import SampleRecord, sample_records
from tests.support.schemas import committed_schema, data_errors, schema_errors
from tests.unit.test_event_contract import makassar_down


@pytest.mark.parametrize("sample", sample_records(), ids=lambda sample: sample.model.__name__)
def test_the_python_sdk_reads_every_record_and_its_data_follows_the_committed_schema(
    sample: SampleRecord,
) -> None:
    record = sample.record
    event = read_with_python_sdk(dict(record.headers), record.key, record.value)

    body = json.loads(record.value)
    assert event.get_specversion() == "1.0"
    assert event.get_id() == body["id"]
    assert event.get_type() == sample.model.event_type
    assert event.get_source() == body["source"]
    assert event.get_subject() == record.key.decode()
    assert event.get_dataschema() == committed_schema(sample.model)["$id"]
    assert event.get_datacontenttype() == "application/json"
    time = event.get_time()
    assert time is not None
    assert time.utcoffset() == timedelta(0)
    data = event.get_data()
    assert data == body["data"]
    assert data_errors(data, sample.model) == []
    # What the SDK writes back out is still an event of the committed schema.
    assert schema_errors(JSONFormat().write(event), sample.model) == []


def test_data_that_breaks_its_schema_is_caught() -> None:
    data = json.loads(encode_event(new_event(makassar_down(), source="/t", subject="73.71")).value)[
        "data"
    ]
    data["region_code"] = "7371"
    assert data_errors(data, StatusChanged) != []


def test_the_python_sdk_refuses_a_null_dataschema_which_is_why_none_is_written() -> None:
    body = json.loads(encode_event(new_event(makassar_down(), source="/t", subject="73.71")).value)
    body["dataschema"] = None
    headers = {"content-type": b"application/cloudevents+json"}
    with pytest.raises(CloudEventValidationError, match="dataschema"):
        read_with_python_sdk(headers, b"73.71", json.dumps(body).encode())
