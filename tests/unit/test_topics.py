"""The one definition of the topics: what each service creates and checks follows from it."""

from __future__ import annotations

import pytest

from shared import topics
from shared.settings import KafkaSettings
from shared.topics import CleanupPolicy, Role, TopicSpec


def test_each_service_creates_the_topics_it_writes_or_reads_and_no_other() -> None:
    assert {spec.name for spec in topics.MONITOR_TOPICS} == {
        topics.SIAK_STATUS,
        topics.MONITOR_HEARTBEAT,
        topics.SIAK_MAINTENANCE,
        topics.SIAK_MAINTENANCE_PLANS,
        topics.SIAK_CENTRAL_STATUS,
        topics.MONITOR_OWNERSHIP,
    }
    assert {spec.name for spec in topics.GATE_TOPICS} == {
        topics.SIAK_STATUS,
        topics.MONITOR_HEARTBEAT,
        topics.SIAK_MAINTENANCE,
        topics.GATE_EVENTS,
        topics.dead_letter_topic(topics.SIAK_STATUS),
        topics.dead_letter_topic(topics.MONITOR_HEARTBEAT),
    }


def test_every_topic_has_one_writer_and_only_event_topics_are_public() -> None:
    assert len({spec.name for spec in topics.TOPICS}) == len(topics.TOPICS)
    for spec in topics.TOPICS:
        assert len(spec.writers) == 1, spec.name
        internal = spec.name.endswith(topics.DEAD_LETTER_SUFFIX) or spec in topics.OWNERSHIP_TOPICS
        assert spec.public is not internal, spec.name


@pytest.mark.parametrize(
    ("replication_factor", "min_insync"), [(1, "1"), (2, "2"), (3, "2"), (5, "2")]
)
def test_topics_are_created_with_the_durability_of_their_replication_factor(
    replication_factor: int, min_insync: str
) -> None:
    status = topics.topic(topics.SIAK_STATUS)
    assert status.creation_config(replication_factor) == {
        "min.insync.replicas": min_insync,
        "cleanup.policy": "compact",
    }
    settings = KafkaSettings.plaintext("localhost:9092").model_copy(
        update={"topic_replication_factor": replication_factor}
    )
    assert settings.topic_min_insync_replicas == int(min_insync)


def test_a_history_states_its_cleanup_and_retention() -> None:
    assert topics.topic(topics.GATE_EVENTS).config == {
        "cleanup.policy": "delete",
        "retention.ms": str(30 * 24 * 3600 * 1000),
    }
    assert topics.topic(topics.dead_letter_topic(topics.SIAK_STATUS)).config == {
        "cleanup.policy": "delete"
    }


COMPACTED = TopicSpec(
    "t.state", cleanup_policy=CleanupPolicy.COMPACT, writers=frozenset({Role.MONITOR})
)
HISTORY = TopicSpec("t.history", writers=frozenset({Role.GATE}))


@pytest.mark.parametrize(
    ("spec", "found"),
    [
        (COMPACTED, "compact"),
        (HISTORY, "delete"),
        (HISTORY, "compact,delete"),
        (HISTORY, "delete, compact"),
    ],
)
def test_a_fitting_cleanup_policy_is_no_problem(spec: TopicSpec, found: str) -> None:
    assert spec.cleanup_policy_problem(found) is None


@pytest.mark.parametrize(
    ("spec", "found", "needed"),
    [
        (COMPACTED, "delete", "compact"),
        (COMPACTED, "compact,delete", "compact"),
        (HISTORY, "compact", "delete (or compact,delete)"),
    ],
)
def test_an_unfit_cleanup_policy_is_named_with_the_topic_and_the_policy_needed(
    spec: TopicSpec, found: str, needed: str
) -> None:
    assert spec.cleanup_policy_problem(found) == (
        f"topic {spec.name} has cleanup.policy={found}; it needs cleanup.policy={needed}"
    )
