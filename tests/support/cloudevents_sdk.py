"""Reading a record as a subscriber would: with the CloudEvents SDK for Python (2.x API)."""

from __future__ import annotations

from collections.abc import Mapping

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event


def read_with_python_sdk(
    headers: Mapping[str, bytes], key: bytes | None, value: bytes
) -> BaseCloudEvent:
    """The event the SDK makes of a Kafka record; raises where the SDK refuses the record."""
    return from_kafka_event(KafkaMessage(headers=dict(headers), key=key, value=value))
