"""`siak.maintenance.v1` (news per region) and `siak.maintenance.plans.v1` (plans as they stand)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, Field, WithJsonSchema

from shared.events.envelope import EventData
from shared.events.status import REGION_CODE_PATTERN

MAINTENANCE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
EVERY_REGION = "*"
RegionCode = Annotated[str, Field(pattern=REGION_CODE_PATTERN)]
LOCAL_OR_OFFSET_TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?$"
)
LocalOrOffsetTime = Annotated[
    datetime,
    # Not `format: date-time`: that is RFC 3339, which requires the offset these may lack.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LOCAL_OR_OFFSET_TIME_PATTERN,
            "description": "ISO 8601; without an offset, a wall-clock time in each region's zone.",
        }
    ),
]


class MaintenanceAction(StrEnum):
    SCHEDULED = "scheduled"
    CHANGED = "changed"
    CANCELLED = "cancelled"
    STARTED = "started"
    ENDED = "ended"


class MaintenanceRecurrence(StrEnum):
    WEEKLY = "weekly"


class MaintenanceText(EventData):
    """What citizens and operators are told, in Bahasa Indonesia (`id`) and English (`en`)."""

    id: str = Field(min_length=1, max_length=1000)
    en: str = Field(min_length=1, max_length=1000)


class MaintenanceNotice(EventData):
    """One region's news about one maintenance plan, keyed by region code.

    `starts_at`/`ends_at` are the occurrence the notice is about: the one under way, else the
    next one (for a weekly plan), else the plan's own window. An `ended` notice at
    `occurred_at` before `ends_at` means the window was cut short (changed or cancelled).
    """

    event_type: ClassVar[str] = "id.siakgate.siak.maintenance.notice.v1"

    maintenance_id: str = Field(pattern=MAINTENANCE_ID_PATTERN)
    action: MaintenanceAction
    region_code: str = Field(pattern=REGION_CODE_PATTERN)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    recurrence: MaintenanceRecurrence | None = None
    reason: str = Field(min_length=1, max_length=200)
    message: MaintenanceText
    occurred_at: AwareDatetime
    previous_starts_at: AwareDatetime | None = Field(
        default=None, description="For `changed`: the occurrence as announced before."
    )
    previous_ends_at: AwareDatetime | None = None


class MaintenancePlanned(EventData):
    """A maintenance plan as it stands now, keyed by its id (a compacted topic).

    Times without an offset are wall-clock times in each covered region's own time zone
    (WIB, WITA, WIT). A cancelled plan keeps a last record with `active` false.
    """

    event_type: ClassVar[str] = "id.siakgate.siak.maintenance.plan.v1"

    maintenance_id: str = Field(pattern=MAINTENANCE_ID_PATTERN)
    active: bool
    origin: Literal["file", "api"]
    revision: int = Field(ge=1, description="Grows with every change of this plan.")
    regions: list[RegionCode] | Literal["*"]
    starts_at: LocalOrOffsetTime
    ends_at: LocalOrOffsetTime
    recurrence: MaintenanceRecurrence | None = None
    reason: str = Field(min_length=1, max_length=200)
    message: MaintenanceText
    updated_at: AwareDatetime
