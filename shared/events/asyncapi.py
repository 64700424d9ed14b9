"""The AsyncAPI 3.0 document of every topic, generated from the same models as the schemas."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import yaml

from shared import topics
from shared.events.envelope import CLOUDEVENTS_CONTENT_TYPE
from shared.events.schemas import SCHEMA_DIR, TOPIC_EVENTS, TopicEvent

SCHEMA_FORMAT = "application/schema+json;version=draft-07"
"""A format the AsyncAPI parser checks schemas against (it passes draft 2020-12 unchecked)."""

ASYNCAPI_PATH = Path(__file__).parent / "asyncapi.yaml"


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event in TOPIC_EVENTS:
        channel_id = _identifier(event.topic)
        message_id = event.model.__name__
        messages[message_id] = _message(event)
        channel = channels.setdefault(channel_id, _channel(event))
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        operation = operations.setdefault(
            f"{event.sender}_sends_{channel_id}",
            {"action": "send", "channel": {"$ref": f"#/channels/{channel_id}"}, "messages": []},
        )
        operation["messages"].append({"$ref": f"#/channels/{channel_id}/messages/{message_id}"})
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "SIAK Gate events",
            "version": "1.0.0",
            "description": (
                "CloudEvents 1.0 in structured JSON mode (header content-type: "
                f"{CLOUDEVENTS_CONTENT_TYPE}). Consumers ignore fields they do not know and "
                "refuse another specversion or another major version in `type`. No event "
                "carries personal data. Records a consumer cannot handle go to "
                f"`<topic>{topics.DEAD_LETTER_SUFFIX}` with the reason in header "
                f"`{topics.DEAD_LETTER_REASON_HEADER}`."
            ),
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "the local stack of `make run`",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def rendered_asyncapi() -> str:
    return yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True, width=100)


def _channel(event: TopicEvent) -> dict[str, Any]:
    spec = topics.topic(event.topic)
    return {
        "address": event.topic,
        "messages": {},
        "bindings": {
            "kafka": {
                "partitions": spec.partitions,
                "replicas": topics.CLUSTER_REPLICATION_FACTOR,
                "topicConfiguration": _topic_configuration(spec),
            }
        },
    }


def _topic_configuration(spec: topics.TopicSpec) -> dict[str, Any]:
    configuration: dict[str, Any] = {"cleanup.policy": [spec.cleanup_policy.value]}
    if spec.retention_ms is not None:
        configuration["retention.ms"] = spec.retention_ms
    return configuration


def _message(event: TopicEvent) -> dict[str, Any]:
    return {
        "name": event.model.event_type,
        "title": event.model.__name__,
        "summary": (event.model.__doc__ or "").strip().splitlines()[0],
        "description": _paragraphs(event.model.__doc__ or ""),
        "contentType": CLOUDEVENTS_CONTENT_TYPE,
        "payload": {
            "schemaFormat": SCHEMA_FORMAT,
            "schema": {"$ref": f"./{SCHEMA_DIR.name}/{event.schema_path.name}"},
        },
        "bindings": {"kafka": {"key": {"type": "string", "description": event.key}}},
    }


def _paragraphs(docstring: str) -> str:
    """A docstring as flowing text: lines joined, blank lines kept between paragraphs."""
    return re.sub(r"(?<!\n)\n(?!\n)", " ", inspect.cleandoc(docstring))


def _identifier(topic: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", topic)
