"""The public status page over real HTTP and in a real browser, fed by status events on Kafka."""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from shared.events import SiakStatus
from shared.regions import load_registry
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import Gate, nik, take_regions
from tests.support.browser import PHONE_WINDOW, rendered_dom, screenshot
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

DEFER_WORDS = "Layanan online tetap menerima pengajuan; akan diteruskan ke SIAK saat pulih."


def region_card(html: str, code: str) -> str | None:
    """The region's `<li>` on the page, if it is there."""
    heading = rf'<li class="[a-z-]+"><h3>[^<]*<span class="code">{re.escape(code)}</span>'
    match = re.search(heading + ".*?</li>", html, flags=re.DOTALL)
    return match.group(0) if match else None


async def page(
    gate: Gate, query: Mapping[str, str] | None = None, *, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    return await gate.http.get(f"{gate.url}/", params=query, headers=headers)


async def card_once(
    gate: Gate, code: str, words: str, query: Mapping[str, str] | None = None
) -> str | None:
    card = region_card((await page(gate, query)).text, code)
    return card if card is not None and words in card else None


async def test_a_region_gone_down_shows_as_closed_but_taking_submissions_in_indonesian(
    gate: Gate,
) -> None:
    [region] = take_regions(1)
    expected_back = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=4)
    await gate.status.set(
        region, SiakStatus.DOWN, reason="maintenance", expected_return_at=expected_back
    )
    await eventually(lambda: card_once(gate, region, "Tidak tersedia"), what=f"{region} shown down")
    assert (await gate.submit(region, nik(1, province=region[:2]))).status_code == 202

    response = await page(gate)
    card = region_card(response.text, region)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "id"
    assert '<html lang="id">' in response.text
    assert card is not None
    assert load_registry().get(region).name in card
    assert DEFER_WORDS in card
    assert "<dt>Gerbang ke SIAK</dt><dd>Tertutup</dd>" in card
    assert "<dt>Pengajuan menunggu</dt><dd>1</dd>" in card
    zone = load_registry().get(region).timezone
    local_back = expected_back.astimezone(zone.tzinfo)
    assert f'<time datetime="{local_back.isoformat(timespec="minutes")}">' in card
    # In the region's own zone: Jawa keeps WIB, Bali (a province tests take too) WITA.
    assert re.search(rf"\d{{2}}\.\d{{2}} {zone.value}</time>", card)


async def test_english_comes_from_the_query_or_accept_language_and_the_query_wins(
    gate: Gate,
) -> None:
    by_query = await page(gate, {"lang": "en"})
    by_header = await page(gate, headers={"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"})
    query_wins = await page(gate, {"lang": "id"}, headers={"Accept-Language": "en-US,en"})
    assert '<html lang="en">' in by_query.text
    assert "<h1>SIAK service status by region</h1>" in by_query.text
    assert '<html lang="en">' in by_header.text
    assert by_header.headers["content-language"] == "en"
    assert '<html lang="id">' in query_wins.text
    assert "<h1>Status layanan SIAK per wilayah</h1>" in query_wins.text


async def test_a_region_in_reject_mode_is_shown_taking_no_submissions_for_now(gate: Gate) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.DOWN)
    changed = await gate.admin(
        "PATCH", f"/regions/{region}", {"intake_mode": "reject", "reason": "migrasi data"}
    )
    assert changed.status_code == 200, changed.text
    card = await eventually(
        lambda: card_once(gate, region, "Tidak tersedia", {"region": region}),
        what=f"{region} shown down",
    )
    assert "sementara tidak menerima pengajuan" in card
    assert DEFER_WORDS not in card


async def test_narrows_to_a_region_or_province_and_refuses_unknown_codes(gate: Gate) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.UP)
    await eventually(lambda: card_once(gate, region, "Normal"), what=f"{region} shown up")
    other_province = "73" if region[:2] != "73" else "35"

    one_region = (await page(gate, {"region": region})).text
    same_province = (await page(gate, {"province": region[:2]})).text
    elsewhere = (await page(gate, {"province": other_province})).text
    unknown = await page(gate, {"region": "99.99"})

    assert one_region.count("<li class=") == 1 and region_card(one_region, region)
    assert region_card(same_province, region)
    assert set(re.findall(r'<span class="code">(\d\d)\.', same_province)) == {region[:2]}
    assert region_card(elsewhere, region) is None
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")
    assert "Kode wilayah atau provinsi itu tidak dikenal." in unknown.text


async def test_a_real_browser_renders_the_region_readably_on_a_phone(
    gate: Gate, infrastructure: Infrastructure
) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.DOWN)
    await eventually(
        lambda: card_once(gate, region, "Tidak tersedia", {"province": region[:2]}),
        what=f"{region} shown down",
    )
    url = f"{gate.url}/?province={region[:2]}"

    dom = await rendered_dom(url)
    card = region_card(dom, region)
    assert '<html lang="id">' in dom
    assert "<h1>Status layanan SIAK per wilayah</h1>" in dom
    assert "<h2>Kabupaten/kota</h2>" in dom
    assert card is not None
    assert load_registry().get(region).name in card
    assert "<dt>Status SIAK</dt><dd>Tidak tersedia</dd>" in card
    assert DEFER_WORDS in card

    english_reader = await rendered_dom(url, accept_language="en-US,en")
    assert '<html lang="en">' in english_reader
    assert "<h1>SIAK service status by region</h1>" in english_reader

    shot = await screenshot(
        f"{gate.url}/?region={region}", infrastructure.state_dir / "status_page" / "phone.png"
    )
    assert png_size(shot) == PHONE_WINDOW


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height
