"""Value types of the region registry: a kabupaten/kota, its province, and the lookup errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.regions.timezones import IndonesianTimeZone

FIRST_KOTA_NUMBER = 71


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str
    timezone: IndonesianTimeZone


@dataclass(frozen=True, slots=True)
class Region:
    """One kabupaten or kota, identified by its Kemendagri code `PP.KK`."""

    code: str
    name: str
    province_code: str
    province_name: str
    timezone: IndonesianTimeZone

    @property
    def is_kota(self) -> bool:
        # Kemendagri numbers kabupaten 01-69 and kota 71-99 within a province.
        return int(self.code[3:]) >= FIRST_KOTA_NUMBER

    @property
    def province(self) -> Province:
        return Province(self.province_code, self.province_name, self.timezone)

    def local_time(self, at: datetime | None = None) -> datetime:
        """The given aware instant (default: now) as wall-clock time in this region."""
        instant = datetime.now(UTC) if at is None else at
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("local_time needs a timezone-aware datetime")
        return instant.astimezone(self.timezone.tzinfo)


class UnknownRegionError(LookupError):
    """A region or province code that the registry does not hold."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.codes: tuple[str, ...] = tuple(codes)
        noun = "code" if len(self.codes) == 1 else "codes"
        super().__init__(f"unknown region {noun}: {', '.join(self.codes)}")


UnknownRegion = UnknownRegionError


class RegionDataError(ValueError):
    """The region data file is malformed; the message names the offending line."""


class RegionSpecError(ValueError):
    """A region selection spec that is not `*` or a comma-separated list of PP / PP.KK codes."""
