"""An existing topic whose cleanup policy breaks its readers stops topic preparation, named."""

from __future__ import annotations

import time

import pytest

from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from shared.topics import CleanupPolicy, Role, TopicMisconfiguredError, TopicSpec
from tests.conftest import Infrastructure

pytestmark = pytest.mark.integration


def _spec(policy: CleanupPolicy) -> TopicSpec:
    return TopicSpec(
        f"test.cleanup.{time.time_ns()}",
        partitions=1,
        cleanup_policy=policy,
        writers=frozenset({Role.MONITOR}),
    )


async def test_a_compacted_topic_created_for_deletion_is_refused_by_name(
    infrastructure: Infrastructure,
) -> None:
    kafka = KafkaSettings.plaintext(infrastructure.bootstrap_servers)
    needed = _spec(CleanupPolicy.COMPACT)
    wrongly = TopicSpec(needed.name, partitions=1, cleanup_policy=CleanupPolicy.DELETE)
    await ensure_topics(kafka, [wrongly])

    with pytest.raises(TopicMisconfiguredError) as refused:
        await ensure_topics(kafka, [needed], attempts=3)

    assert str(refused.value) == (
        f"topic {needed.name} has cleanup.policy=delete; it needs cleanup.policy=compact"
    )


async def test_a_history_created_compacted_only_is_refused_and_a_fitting_one_passes(
    infrastructure: Infrastructure,
) -> None:
    kafka = KafkaSettings.plaintext(infrastructure.bootstrap_servers)
    history, state = _spec(CleanupPolicy.DELETE), _spec(CleanupPolicy.COMPACT)
    await ensure_topics(kafka, [TopicSpec(history.name, cleanup_policy=CleanupPolicy.COMPACT)])
    await ensure_topics(kafka, [state])

    with pytest.raises(
        TopicMisconfiguredError, match=f"topic {history.name} has cleanup.policy=compact;"
    ):
        await ensure_topics(kafka, [state, history])
    await ensure_topics(kafka, [state])  # created by the services themselves: fits
