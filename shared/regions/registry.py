"""Read-only lookup of kabupaten/kota by code and by province."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from shared.regions.model import Province, Region, UnknownRegionError


class RegionRegistry:
    """An immutable set of regions, iterated in code order."""

    def __init__(self, regions: Iterable[Region]) -> None:
        ordered = sorted(regions, key=lambda region: region.code)
        self._by_code: dict[str, Region] = {}
        self._by_province: dict[str, list[Region]] = {}
        for region in ordered:
            if region.code in self._by_code:
                raise ValueError(f"duplicate region code {region.code}")
            self._by_code[region.code] = region
            self._by_province.setdefault(region.province_code, []).append(region)

    def get(self, code: str) -> Region:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownRegionError([code]) from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def has_province(self, province_code: str) -> bool:
        return province_code in self._by_province

    def in_province(self, province_code: str) -> list[Region]:
        try:
            return list(self._by_province[province_code])
        except KeyError:
            raise UnknownRegionError([province_code]) from None

    def provinces(self) -> list[Province]:
        return [regions[0].province for regions in self._by_province.values()]
