"""Tests of the kabupaten/kota registry: packaged data, lookups, time zones, specs, validation."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from shared.regions import (
    IndonesianTimeZone,
    RegionDataError,
    RegionRegistry,
    RegionSpecError,
    UnknownRegion,
    load_registry,
    load_registry_from_path,
    parse_regions_csv,
    select_regions,
)

HEADER = "code,name,province_code,province_name,timezone\n"
# "73.71" in Arabic-Indic digits: `\d` would accept these, the registry must not.
ARABIC_INDIC_7371 = "\u0667\u0663.\u0667\u0661"

WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96"}
WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}


@pytest.fixture(scope="module")
def registry() -> RegionRegistry:
    return load_registry()


def test_packaged_data_file_is_a_package_resource() -> None:
    data_dir = resources.files("shared.regions") / "data"
    assert (data_dir / "kabupaten_kota.csv").is_file()
    assert (data_dir / "ATTRIBUTION.md").is_file()


def test_load_registry_reads_the_file_once() -> None:
    assert load_registry() is load_registry()


def test_counts_match_kepmendagri_2025(registry: RegionRegistry) -> None:
    assert len(registry) == 514
    assert len(list(registry)) == 514
    assert len(registry.provinces()) == 38


def test_kota_makassar(registry: RegionRegistry) -> None:
    makassar = registry.get("73.71")
    assert makassar.name == "Kota Makassar"
    assert makassar.province_code == "73"
    assert makassar.province_name == "Sulawesi Selatan"
    assert makassar.is_kota
    assert not registry.get("73.06").is_kota
    assert "73.71" in registry
    assert "73.99" not in registry
    assert 7371 not in registry


def test_sulawesi_selatan_has_24_kabupaten_kota(registry: RegionRegistry) -> None:
    regions = registry.in_province("73")
    assert len(regions) == 24
    assert {region.province_code for region in regions} == {"73"}
    assert [region.code for region in regions] == sorted(region.code for region in regions)


@pytest.mark.parametrize(
    ("code", "name", "timezone"),
    [
        ("73.71", "Kota Makassar", IndonesianTimeZone.WITA),
        ("31.71", "Kota Administrasi Jakarta Pusat", IndonesianTimeZone.WIB),
        ("91.71", "Kota Jayapura", IndonesianTimeZone.WIT),
    ],
)
def test_time_zone_of_region(
    registry: RegionRegistry, code: str, name: str, timezone: IndonesianTimeZone
) -> None:
    region = registry.get(code)
    assert region.name == name
    assert region.timezone is timezone


def test_time_zone_offsets_and_names() -> None:
    assert IndonesianTimeZone.WIB.utc_offset == timedelta(hours=7)
    assert IndonesianTimeZone.WITA.utc_offset == timedelta(hours=8)
    assert IndonesianTimeZone.WIT.utc_offset == timedelta(hours=9)
    assert IndonesianTimeZone.WIB.iana_name == "Asia/Jakarta"
    assert IndonesianTimeZone.WITA.iana_name == "Asia/Makassar"
    assert IndonesianTimeZone.WIT.iana_name == "Asia/Jayapura"


def test_time_zone_follows_province(registry: RegionRegistry) -> None:
    for region in registry:
        if region.province_code in WIT_PROVINCES:
            expected = IndonesianTimeZone.WIT
        elif region.province_code in WITA_PROVINCES:
            expected = IndonesianTimeZone.WITA
        else:
            expected = IndonesianTimeZone.WIB
        assert region.timezone is expected, region.code


def test_papua_provinces_use_kemendagri_codes(registry: RegionRegistry) -> None:
    names = {province.code: province.name for province in registry.provinces()}
    assert names["91"] == "Papua"
    assert names["92"] == "Papua Barat"
    assert names["93"] == "Papua Selatan"
    assert names["94"] == "Papua Tengah"
    assert names["95"] == "Papua Pegunungan"
    assert names["96"] == "Papua Barat Daya"


def test_local_time(registry: RegionRegistry) -> None:
    instant = datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    assert registry.get("73.71").local_time(instant).hour == 8
    assert registry.get("31.71").local_time(instant).hour == 7
    assert registry.get("91.71").local_time(instant).hour == 9
    assert registry.get("73.71").local_time().utcoffset() == timedelta(hours=8)
    with pytest.raises(ValueError, match="aware"):
        registry.get("73.71").local_time(datetime(2025, 1, 1))


def test_jawa_timur_is_the_largest_province(registry: RegionRegistry) -> None:
    per_province = Counter(region.province_code for region in registry)
    assert per_province.most_common(1) == [("35", 38)]


def test_unknown_code_raises(registry: RegionRegistry) -> None:
    with pytest.raises(UnknownRegion, match=r"73\.99"):
        registry.get("73.99")
    with pytest.raises(UnknownRegion, match="99"):
        registry.in_province("99")


def test_select_whole_province(registry: RegionRegistry) -> None:
    selected = select_regions("73", registry)
    assert len(selected) == 24
    assert selected == registry.in_province("73")


def test_select_list_is_ordered_and_deduplicated(registry: RegionRegistry) -> None:
    selected = select_regions("73.71, 73.06,73.71", registry)
    assert [region.code for region in selected] == ["73.06", "73.71"]


def test_select_province_and_region_together(registry: RegionRegistry) -> None:
    selected = select_regions("75,73.71")
    assert len(selected) == 7
    assert selected[-1].code == "75.71"


def test_select_all() -> None:
    assert len(select_regions("*")) == 514


def test_select_unknown_names_every_unknown_code(registry: RegionRegistry) -> None:
    with pytest.raises(UnknownRegion) as raised:
        select_regions("73.71,73.99,99", registry)
    assert raised.value.codes == ("73.99", "99")
    assert "73.99" in str(raised.value)


@pytest.mark.parametrize("spec", ["", "73,", "7371", "73.7", "*,73.71", ARABIC_INDIC_7371])
def test_select_rejects_malformed_spec(registry: RegionRegistry, spec: str) -> None:
    with pytest.raises(RegionSpecError):
        select_regions(spec, registry)


def _write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "regions.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_small_valid_file_loads_when_counts_are_not_enforced(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "73.06,Kabupaten Gowa,73,Sulawesi Selatan,WITA\n"
        "73.71,Kota Makassar,73,Sulawesi Selatan,WITA\n",
    )
    loaded = load_registry_from_path(path, expected_provinces=None, expected_regions=None)
    assert [region.code for region in loaded] == ["73.06", "73.71"]


def test_count_mismatch_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "73.71,Kota Makassar,73,Sulawesi Selatan,WITA\n")
    with pytest.raises(RegionDataError, match="expected 514 regions, found 1"):
        load_registry_from_path(path, expected_provinces=None)


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("73.7,Kota Makassar,73,Sulawesi Selatan,WITA", "PP.KK"),
        (f"{ARABIC_INDIC_7371},Kota Makassar,73,Sulawesi Selatan,WITA", "PP.KK"),
        ("73.70,Kota Makassar,73,Sulawesi Selatan,WITA", "outside"),
        ("73.00,Kota Makassar,73,Sulawesi Selatan,WITA", "outside"),
        ("73.72,Kota Parepare,74,Sulawesi Selatan,WITA", "province_code"),
        ("73.72,,73,Sulawesi Selatan,WITA", "name"),
        ("73.72,Kota Parepare,73,Sulawesi Selatan,CET", "timezone"),
        ("73.72,Kota Parepare,73,Sulawesi Selatan", "columns"),
        ("73.72,Kota Parepare,73,Sulawesi Selatan,WITA,extra", "columns"),
        ("73.72,Kota Parepare,73,Sulsel,WITA", "earlier line"),
        ("73.72,Kota Parepare,73,Sulawesi Selatan,WIB", "earlier line"),
        ("73.71,Kota Makassar,73,Sulawesi Selatan,WITA", "duplicate"),
    ],
)
def test_malformed_row_is_rejected_with_its_line(
    tmp_path: Path, bad_row: str, message: str
) -> None:
    path = _write(tmp_path, f"73.71,Kota Makassar,73,Sulawesi Selatan,WITA\n{bad_row}\n")
    with pytest.raises(RegionDataError, match=message) as raised:
        load_registry_from_path(path, expected_provinces=None, expected_regions=None)
    assert "line 3" in str(raised.value)


def test_wrong_header_is_rejected() -> None:
    with pytest.raises(RegionDataError, match="line 1"):
        parse_regions_csv("kode,nama\n73.71,Kota Makassar\n")
