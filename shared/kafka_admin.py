"""Creates the contract's topics that do not exist yet, with their settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.kafka_client import client_options
from shared.settings import KafkaSettings
from shared.topics import TopicSpec

log = logging.getLogger(__name__)


async def ensure_topics(
    kafka: KafkaSettings, specs: Iterable[TopicSpec], *, attempts: int = 30
) -> None:
    """Idempotent; retries while the broker is not reachable yet."""
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
            return
        except Exception as error:
            if attempt == attempts:
                raise
            log.warning("Kafka not reachable yet (%s); retrying", error)
            await asyncio.sleep(min(5.0, 0.2 * attempt))
        finally:
            await admin.close()
