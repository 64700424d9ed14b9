"""Which replica owns the regions' shard: the consumer group's assignment of a one-partition
ownership topic (nothing is ever written to it; membership is what counts)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)

from services.siak_monitor.domain.shard_holder import shard_holder
from services.siak_monitor.replica import Replica
from shared import topics
from shared.kafka_admin import ensure_topics
from shared.kafka_client import client_options
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)
POLL_MS = 500
"""How often the membership loop looks whether the term's publisher is spent."""


class KafkaOwnership:
    """Keeps this replica in the group and tells `replica` what the group assigns it.

    A member that dies or hangs stops heartbeating; after `session_timeout_ms` the group
    assigns the shard to another member. Each member tells the group its current claim, and
    the shard stays with the latest claimant (`shard_holder`) when members join or leave.
    When the term's publisher is spent, this replica leaves the group and joins again, so
    the shard is claimed anew only under a fresh assignment.
    """

    def __init__(self, kafka: KafkaSettings, *, group_id: str, session_timeout_ms: int) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self.session_timeout_ms = session_timeout_ms

    async def hold(self, replica: Replica) -> None:
        """Run until cancelled (then the term ends and the group is left at once)."""
        await ensure_topics(self.kafka, topics.OWNERSHIP_TOPICS, attempts=1)
        while True:
            consumer = AIOKafkaConsumer(
                **client_options(self.kafka),
                group_id=self.group_id,
                enable_auto_commit=False,
                session_timeout_ms=self.session_timeout_ms,
                heartbeat_interval_ms=max(100, self.session_timeout_ms // 5),
                partition_assignment_strategy=(_LatestClaimant(replica),),
            )
            consumer.subscribe([topics.MONITOR_OWNERSHIP], listener=_Assignments(replica))
            try:
                await consumer.start()
                while not replica.spent():
                    await consumer.getmany(timeout_ms=POLL_MS)
            finally:
                await replica.step_down()
                await consumer.stop()
            log.info("the shard's publisher is spent: leaving the group to ask for it again")


class _Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, replica: Replica) -> None:
        self.replica = replica

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Nothing to stop yet: the same rebalance usually gives the shard back, and should it
        # go elsewhere, the new owner's claim fences this replica's producer first.
        pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.replica.owns(any(tp.topic == topics.MONITOR_OWNERSHIP for tp in assigned))


class _LatestClaimant(AbstractPartitionAssignor):  # type: ignore[misc]
    """The group's assignor: each member's metadata carries its claim; the leader gives the
    ownership topic's partition to `shard_holder` of them."""

    name = "siak-monitor-latest-claimant"
    version = 0

    def __init__(self, replica: Replica) -> None:
        self.replica = replica

    def metadata(self, topics_: Iterable[str]) -> Any:
        tenure = self.replica.tenure()
        claim = b"" if tenure is None else str(tenure).encode()
        return ConsumerProtocolMemberMetadata(self.version, list(topics_), claim)

    def assign(self, _cluster: Any, members: Mapping[str, Any]) -> dict[str, Any]:
        holder = shard_holder({member: _claim(data.user_data) for member, data in members.items()})
        shard = [(topics.MONITOR_OWNERSHIP, [0])]
        return {
            member: ConsumerProtocolMemberAssignment(
                self.version, shard if member == holder else [], b""
            )
            for member in members
        }

    def on_assignment(self, _assignment: Any) -> None:
        pass


def _claim(user_data: bytes | None) -> int | None:
    try:
        return int(user_data) if user_data else None
    except ValueError:
        return None
