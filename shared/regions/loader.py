"""Parses and validates the kabupaten/kota CSV shipped in `shared/regions/data`."""

from __future__ import annotations

import csv
import functools
import io
import re
from importlib import resources
from pathlib import Path

from shared.regions.model import FIRST_KOTA_NUMBER, Region, RegionDataError
from shared.regions.registry import RegionRegistry
from shared.regions.timezones import IndonesianTimeZone

DATA_FILE_NAME = "kabupaten_kota.csv"
EXPECTED_PROVINCE_COUNT = 38
EXPECTED_REGION_COUNT = 514
COLUMNS = ("code", "name", "province_code", "province_name", "timezone")

_REGION_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}")
_LAST_KABUPATEN_NUMBER = 69


@functools.cache
def load_registry() -> RegionRegistry:
    """The registry built from the packaged data file, read and validated once per process."""
    data_file = resources.files("shared.regions") / "data" / DATA_FILE_NAME
    return parse_regions_csv(data_file.read_text(encoding="utf-8"), source=DATA_FILE_NAME)


def load_registry_from_path(
    path: Path,
    *,
    expected_provinces: int | None = EXPECTED_PROVINCE_COUNT,
    expected_regions: int | None = EXPECTED_REGION_COUNT,
) -> RegionRegistry:
    return parse_regions_csv(
        path.read_text(encoding="utf-8"),
        source=str(path),
        expected_provinces=expected_provinces,
        expected_regions=expected_regions,
    )


def parse_regions_csv(
    text: str,
    *,
    source: str = "<regions csv>",
    expected_provinces: int | None = EXPECTED_PROVINCE_COUNT,
    expected_regions: int | None = EXPECTED_REGION_COUNT,
) -> RegionRegistry:
    """Builds a registry from CSV text; `None` for an expected count skips that check."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise RegionDataError(
            f"{source} line 1: header must be {','.join(COLUMNS)}, got {reader.fieldnames}"
        )
    regions: list[Region] = []
    seen_codes: set[str] = set()
    provinces: dict[str, tuple[str, IndonesianTimeZone]] = {}
    for row in reader:
        where = f"{source} line {reader.line_num}"
        region = _region_from_row(row, where)
        if region.code in seen_codes:
            raise RegionDataError(f"{where}: duplicate region code {region.code}")
        seen_codes.add(region.code)
        _check_same_province(provinces, region, where)
        regions.append(region)
    _check_count(source, "provinces", len(provinces), expected_provinces)
    _check_count(source, "regions", len(regions), expected_regions)
    return RegionRegistry(regions)


def _region_from_row(row: dict[str | None, str | None], where: str) -> Region:
    if None in row or any(row.get(column) is None for column in COLUMNS):
        raise RegionDataError(f"{where}: expected {len(COLUMNS)} columns")
    values = {column: str(row[column]) for column in COLUMNS}
    code = values["code"]
    if _REGION_CODE.fullmatch(code) is None:
        raise RegionDataError(f"{where}: code {code!r} is not of the form PP.KK")
    kabupaten_kota_number = int(code[3:])
    if not (
        1 <= kabupaten_kota_number <= _LAST_KABUPATEN_NUMBER
        or FIRST_KOTA_NUMBER <= kabupaten_kota_number <= 99
    ):
        raise RegionDataError(f"{where}: code {code} is outside kabupaten 01-69 and kota 71-99")
    if values["province_code"] != code[:2]:
        raise RegionDataError(
            f"{where}: province_code {values['province_code']!r} does not match code {code}"
        )
    for column in ("name", "province_name"):
        if not values[column] or values[column] != values[column].strip():
            raise RegionDataError(f"{where}: {column} {values[column]!r} is empty or padded")
    try:
        timezone = IndonesianTimeZone(values["timezone"])
    except ValueError:
        raise RegionDataError(
            f"{where}: timezone {values['timezone']!r} is not one of WIB, WITA, WIT"
        ) from None
    return Region(code, values["name"], code[:2], values["province_name"], timezone)


def _check_same_province(
    provinces: dict[str, tuple[str, IndonesianTimeZone]], region: Region, where: str
) -> None:
    known = provinces.setdefault(region.province_code, (region.province_name, region.timezone))
    if known != (region.province_name, region.timezone):
        raise RegionDataError(
            f"{where}: province {region.province_code} is {region.province_name!r} "
            f"({region.timezone}) here but {known[0]!r} ({known[1]}) on an earlier line"
        )


def _check_count(source: str, what: str, actual: int, expected: int | None) -> None:
    if expected is not None and actual != expected:
        raise RegionDataError(f"{source}: expected {expected} {what}, found {actual}")
