"""Maintenance notices and plan records owed to subscribers, in the order they happened."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from shared.events import MaintenanceNotice, MaintenancePlanned

Announcement = MaintenanceNotice | MaintenancePlanned


class Outbox:
    """Unlike statuses, announcements are news, not state: every one is delivered, in order.

    When a publication fails part-way, everything from the first failure on is sent again,
    so a subscriber may see a notice twice but never one before an earlier one.
    """

    def __init__(self) -> None:
        self._queued: deque[Announcement] = deque()

    def __len__(self) -> int:
        return len(self._queued)

    def add(self, announcements: Iterable[Announcement]) -> None:
        self._queued.extend(announcements)

    def queued(self) -> list[Announcement]:
        return list(self._queued)

    def delivered(self, count: int) -> None:
        """The first `count` queued announcements reached the broker."""
        for _ in range(count):
            self._queued.popleft()
