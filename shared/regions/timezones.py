"""Indonesia's three civil time zones (WIB, WITA, WIT), none of which observes daylight saving."""

from __future__ import annotations

from datetime import timedelta, timezone, tzinfo
from enum import StrEnum


class IndonesianTimeZone(StrEnum):
    WIB = "WIB"
    WITA = "WITA"
    WIT = "WIT"

    @property
    def utc_offset(self) -> timedelta:
        return timedelta(hours=_UTC_OFFSET_HOURS[self])

    @property
    def iana_name(self) -> str:
        """The tz database name, for systems that want a zone name rather than an offset."""
        return _IANA_NAMES[self]

    @property
    def tzinfo(self) -> tzinfo:
        # A fixed offset is exact here (no daylight saving) and needs no tz database on the host.
        return timezone(self.utc_offset, self.value)


_UTC_OFFSET_HOURS: dict[IndonesianTimeZone, int] = {
    IndonesianTimeZone.WIB: 7,
    IndonesianTimeZone.WITA: 8,
    IndonesianTimeZone.WIT: 9,
}

_IANA_NAMES: dict[IndonesianTimeZone, str] = {
    IndonesianTimeZone.WIB: "Asia/Jakarta",
    IndonesianTimeZone.WITA: "Asia/Makassar",
    IndonesianTimeZone.WIT: "Asia/Jayapura",
}
