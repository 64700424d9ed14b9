"""Registry of Indonesia's 514 kabupaten/kota (Kemendagri codes), their provinces and time zones."""

from shared.regions.loader import (
    EXPECTED_PROVINCE_COUNT,
    EXPECTED_REGION_COUNT,
    load_registry,
    load_registry_from_path,
    parse_regions_csv,
)
from shared.regions.model import (
    Province,
    Region,
    RegionDataError,
    RegionSpecError,
    UnknownRegion,
    UnknownRegionError,
)
from shared.regions.registry import RegionRegistry
from shared.regions.selection import ALL_REGIONS, select_regions
from shared.regions.timezones import IndonesianTimeZone

__all__ = [
    "ALL_REGIONS",
    "EXPECTED_PROVINCE_COUNT",
    "EXPECTED_REGION_COUNT",
    "IndonesianTimeZone",
    "Province",
    "Region",
    "RegionDataError",
    "RegionRegistry",
    "RegionSpecError",
    "UnknownRegion",
    "UnknownRegionError",
    "load_registry",
    "load_registry_from_path",
    "parse_regions_csv",
    "select_regions",
]
