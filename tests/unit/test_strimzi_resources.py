"""The Strimzi resources in deploy/k8s/kafka: current, valid for the v1 CRDs, least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from deploy.strimzi.resources import OUTPUT, kafka_topic, kafka_user, rendered
from services.queue_gate.settings import GateSettings
from services.siak_monitor.settings import MonitorSettings
from shared import topics
from shared.topics import Role

CRDS = Path(__file__).resolve().parents[2] / "deploy" / "strimzi" / "crds"


def _validator(kind: str) -> Draft7Validator:
    schema = json.loads((CRDS / f"{kind.lower()}.v1.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema)


def _committed() -> list[dict[str, Any]]:
    documents = []
    for name in ("topics.yaml", "users.yaml"):
        documents += list(yaml.safe_load_all((OUTPUT / name).read_text(encoding="utf-8")))
    return documents


def _acls(role: Role) -> dict[tuple[str, str, str], list[str]]:
    return {
        (
            acl["resource"]["type"],
            acl["resource"].get("name", ""),
            acl["resource"].get("patternType", ""),
        ): acl["operations"]
        for acl in kafka_user(role)["spec"]["authorization"]["acls"]
    }


def _topic_operations(role: Role, name: str) -> list[str]:
    return _acls(role).get(("topic", name, "literal"), [])


def test_committed_files_are_the_generated_ones() -> None:
    for path, text in rendered().items():
        assert path.exists(), f"{path.name} is missing: run `make strimzi`"
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run `make strimzi`"
    assert sorted(path.name for path in OUTPUT.iterdir()) == sorted(p.name for p in rendered())


def test_every_resource_is_valid_for_the_strimzi_v1_crds() -> None:
    documents = _committed()
    assert {document["kind"] for document in documents} == {"KafkaTopic", "KafkaUser"}
    for document in documents:
        assert document["apiVersion"] == "kafka.strimzi.io/v1"
        errors = [error.message for error in _validator(document["kind"]).iter_errors(document)]
        assert errors == [], (document["metadata"]["name"], errors)


@pytest.mark.parametrize(
    ("kind", "broken"),
    [
        ("KafkaTopic", lambda r: r["spec"].update(partitions=0)),
        ("KafkaUser", lambda r: r["spec"]["authentication"].update(type="scram-sha-256")),
        ("KafkaUser", lambda r: r["spec"]["authorization"]["acls"][0].update(operations=["Steal"])),
    ],
)
def test_the_crd_check_refuses_a_broken_resource(kind: str, broken: Any) -> None:
    resource = kafka_topic(topics.TOPICS[0]) if kind == "KafkaTopic" else kafka_user(Role.GATE)
    broken(resource)
    assert not _validator(kind).is_valid(resource)


def test_every_topic_is_replicated_three_times_and_needs_two_in_sync() -> None:
    for spec in topics.TOPICS:
        resource = kafka_topic(spec)
        assert resource["metadata"]["name"] == spec.name
        assert resource["spec"]["replicas"] == 3
        assert resource["spec"]["partitions"] == spec.partitions
        config = resource["spec"]["config"]
        assert config["min.insync.replicas"] == 2
        assert config["cleanup.policy"] == spec.cleanup_policy.value
        assert config.get("retention.ms") == spec.retention_ms


def test_each_service_writes_only_the_topics_it_is_the_writer_of() -> None:
    for role in Role:
        for spec in topics.TOPICS:
            assert ("Write" in _topic_operations(role, spec.name)) is (role in spec.writers)
    assert "Write" in _topic_operations(Role.MONITOR, topics.SIAK_STATUS)
    assert "Write" in _topic_operations(Role.GATE, topics.dead_letter_topic(topics.SIAK_STATUS))
    assert _topic_operations(Role.GATE, topics.SIAK_STATUS) == [
        "Read",
        "Describe",
        "DescribeConfigs",
    ]


def test_the_monitor_reads_its_plans_back_and_may_fence_its_earlier_self() -> None:
    assert "Read" in _topic_operations(Role.MONITOR, topics.SIAK_MAINTENANCE_PLANS)
    assert "Read" in _topic_operations(Role.MONITOR, topics.SIAK_STATUS)
    acls = _acls(Role.MONITOR)
    assert acls[("transactionalId", "siak-monitor", "prefix")] == ["Write", "Describe"]
    assert acls[("cluster", "", "")] == ["IdempotentWrite"]
    assert MonitorSettings.model_fields["monitor_id"].default.startswith("siak-monitor")


def test_the_gate_reads_in_groups_named_with_its_prefix() -> None:
    for name in (topics.SIAK_STATUS, topics.SIAK_MAINTENANCE, topics.MONITOR_HEARTBEAT):
        assert "Read" in _topic_operations(Role.GATE, name)
    assert _acls(Role.GATE)[("group", "queue-gate", "prefix")] == ["Read"]
    assert GateSettings.model_fields["consumer_group"].default.startswith("queue-gate")


def test_subscribers_read_every_public_topic_and_no_dead_letter() -> None:
    for spec in topics.TOPICS:
        expected = ["Read", "Describe"] if spec.public else []
        assert _topic_operations(Role.SUBSCRIBER, spec.name) == expected, spec.name
    acls = _acls(Role.SUBSCRIBER)
    assert acls[("group", "subscriber", "prefix")] == ["Read"]
    assert ("cluster", "", "") not in acls
