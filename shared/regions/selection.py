"""Turns a watch spec such as `*`, `73` or `73.71,73.06` into the regions it names."""

from __future__ import annotations

import re

from shared.regions.loader import load_registry
from shared.regions.model import Region, RegionSpecError, UnknownRegionError
from shared.regions.registry import RegionRegistry

ALL_REGIONS = "*"

_PROVINCE_CODE = re.compile(r"[0-9]{2}")
_REGION_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}")


def select_regions(spec: str, registry: RegionRegistry | None = None) -> list[Region]:
    """Regions named by `spec`, in code order and without duplicates.

    The spec is `*` for every region, or a comma-separated list whose items are a
    province code (`73`, all of its kabupaten/kota) or a region code (`73.71`).
    """
    source = load_registry() if registry is None else registry
    items = [item.strip() for item in spec.split(",")]
    if any(not item for item in items):
        raise RegionSpecError(f"region spec {spec!r} has an empty item")
    if ALL_REGIONS in items:
        if len(items) > 1:
            raise RegionSpecError(f"region spec {spec!r} mixes '*' with other codes")
        return list(source)
    selected: dict[str, Region] = {}
    unknown: list[str] = []
    for item in items:
        matches = _regions_for_item(source, item)
        if matches is None:
            unknown.append(item)
        else:
            selected.update((region.code, region) for region in matches)
    if unknown:
        raise UnknownRegionError(unknown)
    return sorted(selected.values(), key=lambda region: region.code)


def _regions_for_item(registry: RegionRegistry, item: str) -> list[Region] | None:
    if _PROVINCE_CODE.fullmatch(item):
        return registry.in_province(item) if registry.has_province(item) else None
    if _REGION_CODE.fullmatch(item):
        return [registry.get(item)] if item in registry else None
    raise RegionSpecError(f"region spec item {item!r} is not '*', a PP province or a PP.KK code")
