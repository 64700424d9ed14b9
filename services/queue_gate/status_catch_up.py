"""Whether this replica's status consumer has read what its topic held when it was assigned."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class PartitionSpan:
    """Where a newly assigned partition's reading starts and what the topic held then."""

    start: int
    """The offset read first (the group's committed offset, or the earliest kept)."""
    end: int
    """The offset after the last record in the partition at assignment."""


class StatusCatchUp:
    """Holds this replica's dispatch from a (re)start or (re)assignment until its status
    consumer has read every assigned partition up to the end it had when assigned.

    Why: a consumer resuming from its committed offset applies the statuses the region went
    through while nobody read them, one at a time. An old UP applied on the way to a newer
    DOWN would open the gate for as long as it takes to reach the DOWN, and a dispatcher
    would send to SIAK while the region's latest status was DOWN. Reading up to the ends
    the topic had at assignment (lag 0 once) is enough: anything published later is news,
    not history. Intake goes on meanwhile (it sends nothing to SIAK).

    Only this replica's assignment counts: a replica assigned no status partitions holds
    nothing (see docs/decisions/0013-hold-dispatch-until-status-caught-up.md).
    """

    def __init__(self) -> None:
        self._remaining: dict[int, int] | None = None
        """Assigned partitions not yet read to their end, with that end; None until assigned."""
        self._listeners: list[Callable[[], None]] = []
        self._retrying: str | None = None
        """Why the reading of where to catch up to is being tried again, while it is."""

    @property
    def caught_up(self) -> bool:
        return self._remaining == {}

    def on_caught_up(self, listener: Callable[[], None]) -> None:
        """Call `listener` each time the consumer catches up after an assignment."""
        self._listeners.append(listener)

    def revoked(self) -> None:
        """The consumer's partitions were taken away (a rebalance, or it stopped)."""
        self._remaining = None
        self._retrying = None

    def retrying(self, reason: str | None) -> None:
        """Kafka did not answer where the consumer stands (`reason`): it is asked again;
        None once it answered."""
        self._retrying = reason

    def assigned(self, spans: Mapping[int, PartitionSpan]) -> None:
        """The consumer was given `spans` (by partition; possibly none at all)."""
        self._remaining = {p: span.end for p, span in spans.items() if span.start < span.end}
        self._retrying = None
        self._check()

    def processed(self, partition: int, offset: int) -> None:
        """The record at `offset` of `partition` was applied or set aside."""
        if self._remaining is None:
            return
        end = self._remaining.get(partition)
        if end is not None and offset + 1 >= end:
            del self._remaining[partition]
            self._check()

    def behind(self) -> list[int]:
        """The assigned partitions not read to their end yet."""
        return sorted(self._remaining or {})

    def reached(self, partition: int, position: int) -> None:
        """The consumer's position in `partition` is `position`: what lies before it was read.

        The monitor publishes in transactions, and each one ends with a marker that takes an
        offset but is never delivered: a partition whose last record is followed by one is
        read to its end once the position has passed the marker, not when that record is.
        The position the link gives (`HandledPositions`) passes a record only once the record
        has been applied.
        """
        if self._remaining is None:
            return
        end = self._remaining.get(partition)
        if end is not None and position >= end:
            del self._remaining[partition]
            self._check()

    def report(self) -> dict[str, object]:
        """For `/readyz`: whether dispatch is held, on how many partitions, and why reading
        where to catch up to is being tried again, if it is."""
        report: dict[str, object]
        if self._remaining is None:
            report = {"state": "awaiting assignment", "dispatch": "held"}
        elif self._remaining:
            report = {
                "state": "catching up",
                "dispatch": "held",
                "partitions_behind": sorted(self._remaining),
            }
        else:
            return {"state": "caught up", "dispatch": "free"}
        if self._retrying is not None:
            report["retrying"] = self._retrying
        return report

    def _check(self) -> None:
        if self.caught_up:
            for listener in self._listeners:
                listener()
