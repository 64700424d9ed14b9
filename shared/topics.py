"""Kafka topics, each defined once: name, partitions, cleanup, retention, writers and readers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

SIAK_STATUS: Final = "siak.status.v1"
"""A region's SIAK status changes (compacted: the latest record per region is its status)."""

MONITOR_HEARTBEAT: Final = "siak.monitor.heartbeat.v1"
"""The monitor's periodic snapshot of every watched region; silence means the monitor is gone."""

SIAK_MAINTENANCE: Final = "siak.maintenance.v1"
"""Maintenance windows scheduled, changed, cancelled, started and ended."""

SIAK_MAINTENANCE_PLANS: Final = "siak.maintenance.plans.v1"
"""Every maintenance plan as it stands, keyed by its id (compacted); read back at monitor start."""

SIAK_CENTRAL_STATUS: Final = "siak.central.status.v1"
"""The status of what every region depends on (central SIAK), keyed by its name (compacted)."""

MONITOR_OWNERSHIP: Final = "siak.monitor.ownership.v1"
"""The monitor replicas' consumer group assigns its one partition to the replica that probes
and publishes; each claim of that right commits an empty record, whose offset orders the
claims (docs/decisions/0015)."""

GATE_EVENTS: Final = "queue-gate.events.v1"
"""Gate and submission life-cycle events, free of personal data."""

DEAD_LETTER_SUFFIX: Final = ".dlt"
DEAD_LETTER_REASON_HEADER: Final = "x-dead-letter-reason"

CLUSTER_REPLICATION_FACTOR: Final = 3
"""Replicas of each topic on a production cluster (the Strimzi resources, the AsyncAPI)."""

_DAY_MS: Final = 24 * 3600 * 1000


class Role(StrEnum):
    """Who touches the topics: each gets its own Kafka user and ACLs."""

    MONITOR = "siak-monitor"
    GATE = "queue-gate"
    SUBSCRIBER = "subscriber"
    """Any other registry system reading the public events."""


class CleanupPolicy(StrEnum):
    COMPACT = "compact"
    """The latest record per key is the state: older ones may go, the latest never does."""
    DELETE = "delete"
    """A history kept for its retention."""


class TopicMisconfiguredError(Exception):
    """An existing topic's settings break what its readers rely on; not transient."""


def dead_letter_topic(topic: str) -> str:
    """Where a consumer of `topic` puts the records it could not handle."""
    return topic + DEAD_LETTER_SUFFIX


def min_insync_replicas(replication_factor: int) -> int:
    """Writes (acks=all) survive one broker down, never need more replicas than exist."""
    return min(2, replication_factor)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 3
    cleanup_policy: CleanupPolicy = CleanupPolicy.DELETE
    retention_ms: int | None = None
    """None: the broker's default retention."""
    log_append_time: bool = False
    """Records stamped by the broker when appended (`message.timestamp.type=LogAppendTime`),
    on its clock rather than the writer's."""
    writers: frozenset[Role] = frozenset()
    readers: frozenset[Role] = frozenset()

    @property
    def config(self) -> dict[str, str]:
        """The topic-level settings it needs, whatever the cluster."""
        config = {"cleanup.policy": self.cleanup_policy.value}
        if self.retention_ms is not None:
            config["retention.ms"] = str(self.retention_ms)
        if self.log_append_time:
            config["message.timestamp.type"] = "LogAppendTime"
        return config

    def creation_config(self, replication_factor: int) -> dict[str, str]:
        """`config` and the durability that goes with `replication_factor` replicas."""
        return {"min.insync.replicas": str(min_insync_replicas(replication_factor)), **self.config}

    @property
    def public(self) -> bool:
        return Role.SUBSCRIBER in self.readers

    def cleanup_policy_problem(self, found: str) -> str | None:
        """Why an existing topic's `cleanup.policy` (e.g. "compact,delete") is unfit, if it is.

        A compacted topic must be compacted only: deletion would drop the state of a key that
        has not changed for the retention period. A history must be deleted after its
        retention, compacted too or not, never compacted only.
        """
        policies = {policy.strip() for policy in found.split(",")}
        if self.cleanup_policy is CleanupPolicy.COMPACT:
            fits, needed = policies == {"compact"}, "compact"
        else:
            fits, needed = "delete" in policies, "delete (or compact,delete)"
        if fits:
            return None
        return f"topic {self.name} has cleanup.policy={found}; it needs cleanup.policy={needed}"


_EVERYONE_READS: Final = frozenset({Role.GATE, Role.SUBSCRIBER})

TOPICS: Final = (
    TopicSpec(
        SIAK_STATUS,
        cleanup_policy=CleanupPolicy.COMPACT,
        writers=frozenset({Role.MONITOR}),
        # The monitor reads its own statuses back at start, to continue each region's `seq`.
        readers=_EVERYONE_READS | {Role.MONITOR},
    ),
    TopicSpec(
        MONITOR_HEARTBEAT,
        partitions=1,
        retention_ms=_DAY_MS,
        # A gate takes a heartbeat as heard when appended: read late, it is as old as that,
        # and a monitor's clock set back does not age it.
        log_append_time=True,
        writers=frozenset({Role.MONITOR}),
        readers=_EVERYONE_READS,
    ),
    TopicSpec(
        SIAK_MAINTENANCE,
        retention_ms=90 * _DAY_MS,
        writers=frozenset({Role.MONITOR}),
        readers=_EVERYONE_READS,
    ),
    TopicSpec(
        SIAK_MAINTENANCE_PLANS,
        partitions=1,
        cleanup_policy=CleanupPolicy.COMPACT,
        writers=frozenset({Role.MONITOR}),
        readers=frozenset({Role.MONITOR, Role.SUBSCRIBER}),
    ),
    TopicSpec(
        SIAK_CENTRAL_STATUS,
        partitions=1,
        cleanup_policy=CleanupPolicy.COMPACT,
        writers=frozenset({Role.MONITOR}),
        readers=frozenset({Role.MONITOR, Role.SUBSCRIBER}),
    ),
    TopicSpec(
        GATE_EVENTS,
        retention_ms=30 * _DAY_MS,
        writers=frozenset({Role.GATE}),
        readers=frozenset({Role.SUBSCRIBER}),
    ),
    TopicSpec(
        MONITOR_OWNERSHIP,
        partitions=1,
        # Claims are ordered by their offsets; old ones are of no use once a day has passed.
        retention_ms=_DAY_MS,
        writers=frozenset({Role.MONITOR}),
        readers=frozenset({Role.MONITOR}),
    ),
    # Read by people investigating, with tools of their own; broker default retention.
    TopicSpec(dead_letter_topic(SIAK_STATUS), partitions=1, writers=frozenset({Role.GATE})),
    TopicSpec(dead_letter_topic(MONITOR_HEARTBEAT), partitions=1, writers=frozenset({Role.GATE})),
)


def used_by(role: Role) -> tuple[TopicSpec, ...]:
    """The topics `role` writes or reads: those it creates when missing and checks at start."""
    return tuple(spec for spec in TOPICS if role in spec.writers | spec.readers)


def topic(name: str) -> TopicSpec:
    (spec,) = (spec for spec in TOPICS if spec.name == name)
    return spec


MONITOR_TOPICS: Final = used_by(Role.MONITOR)
GATE_TOPICS: Final = used_by(Role.GATE)
OWNERSHIP_TOPICS: Final = (topic(MONITOR_OWNERSHIP),)
"""Carries no events (no schema, no AsyncAPI channel): only the monitor replicas' claims."""
