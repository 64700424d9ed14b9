"""Creates the contract's topics that do not exist yet and checks the cleanup policy of those
that do."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from shared.kafka_client import client_options
from shared.settings import KafkaSettings
from shared.topics import TopicMisconfiguredError, TopicSpec

log = logging.getLogger(__name__)

_CLEANUP_POLICY = "cleanup.policy"


async def ensure_topics(
    kafka: KafkaSettings, specs: Iterable[TopicSpec], *, attempts: int = 30
) -> None:
    """Idempotent; retries while the broker is not reachable yet. Raises
    `TopicMisconfiguredError` at once (no retry: it is not transient) when an existing
    topic's cleanup policy is unfit for it."""
    specs = list(specs)
    for attempt in range(1, attempts + 1):
        admin = AIOKafkaAdminClient(**client_options(kafka))
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(
                    spec.name,
                    num_partitions=spec.partitions,
                    replication_factor=kafka.topic_replication_factor,
                    topic_configs=spec.creation_config(kafka.topic_replication_factor),
                )
                for spec in specs
                if spec.name not in existing
            ]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
            await _check_cleanup_policies(admin, [s for s in specs if s.name in existing])
            return
        except TopicMisconfiguredError:
            raise
        except Exception as error:
            if attempt == attempts:
                raise
            log.warning("Kafka not reachable yet (%s); retrying", error)
            await asyncio.sleep(min(5.0, 0.2 * attempt))
        finally:
            await admin.close()


async def _check_cleanup_policies(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> None:
    found = await cleanup_policies(admin, [spec.name for spec in specs])
    problems = [
        problem
        for spec in specs
        if (problem := spec.cleanup_policy_problem(found.get(spec.name, "delete"))) is not None
    ]
    if problems:
        raise TopicMisconfiguredError("; ".join(problems))


async def cleanup_policies(admin: AIOKafkaAdminClient, topics: list[str]) -> dict[str, str]:
    """The `cleanup.policy` of each of the existing `topics`, e.g. "compact,delete"."""
    if not topics:
        return {}
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name, configs={_CLEANUP_POLICY: None})
        for name in topics
    ]
    found: dict[str, str] = {}
    for response in await admin.describe_configs(resources):
        for error_code, _message, _type, topic, entries in response.resources:
            if error_code:
                raise for_code(error_code)(f"describing the configuration of {topic}")
            for name, value, *_ in entries:
                if name == _CLEANUP_POLICY:
                    found[topic] = value
    return found
