"""What the gate needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from services.queue_gate.domain.region_status import RegionStatus
from shared.events import StatusChanged


class RegionStatusStore(Protocol):
    async def get(self, region_code: str) -> RegionStatus | None: ...

    async def all(self) -> list[RegionStatus]: ...

    async def apply(self, change: StatusChanged) -> bool:
        """Store the change if it supersedes what is stored; True when it did.

        Returns only once the change is committed.
        """
