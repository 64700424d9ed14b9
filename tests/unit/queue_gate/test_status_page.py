"""The status page's language, wording and HTML: plain words, local times, everything escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.region_gate import IntakeMode, Override
from services.queue_gate.entrypoints.http_api import RegionGateView
from services.queue_gate.entrypoints.templates.language_choice import Language, choose_language
from services.queue_gate.entrypoints.templates.status_html import (
    REFRESH_SECONDS,
    StatusPage,
    render_status_page,
)
from services.queue_gate.entrypoints.templates.status_wording import (
    WORDING,
    Outlook,
    outlook_for,
)
from shared.events import SiakStatus
from shared.regions import IndonesianTimeZone

NOW = datetime(2021, 10, 15, 1, 30, tzinfo=UTC)
# The 2021 maintenance: down since Friday morning, back expected on Tuesday morning (WITA).
DOWN_SINCE = datetime(2021, 10, 15, 0, 5, tzinfo=UTC)
EXPECTED_RETURN = datetime(2021, 10, 19, 0, 0, tzinfo=UTC)


def view(**changes: Any) -> RegionGateView:
    values: dict[str, Any] = {
        "region_code": "73.71",
        "name": "Kota Makassar",
        "siak_status": SiakStatus.DOWN,
        "gate_state": GateState.CLOSED,
        "mode": IntakeMode.DEFER,
        "override": Override.AUTO,
        "since": DOWN_SINCE,
        "expected_return_at": EXPECTED_RETURN,
        "reason": None,
        "backlog": 1250,
        "replay_rate": 0.0,
        "replay_paused": False,
        **changes,
    }
    return RegionGateView(**values)


def render(*regions: RegionGateView, language: Language = Language.ID, **page: Any) -> str:
    return render_status_page(StatusPage(language, list(regions), NOW, **page))


def region_card(html: str, code: str) -> str:
    heading = rf'<li class="[a-z-]+"><h3>[^<]*<span class="code">{re.escape(code)}</span>'
    match = re.search(heading + ".*?</li>", html)
    assert match is not None, f"no card for {code}"
    return match.group(0)


@pytest.mark.parametrize(
    ("requested", "accept_language", "expected"),
    [
        (None, None, Language.ID),
        (None, "", Language.ID),
        ("en", None, Language.EN),
        ("EN", None, Language.EN),
        (None, "en-US,en;q=0.9", Language.EN),
        (None, "id-ID,id;q=0.9,en;q=0.8", Language.ID),
        (None, "fr-FR, en;q=0.5", Language.EN),
        (None, "en;q=0.4, id;q=0.6", Language.ID),
        (None, "en;q=0, fr", Language.ID),
        (None, "en;q=abc", Language.ID),
        (None, "*", Language.ID),
        ("id", "en-GB,en;q=0.9", Language.ID),
        ("fr", "en", Language.EN),
        ("", "en", Language.EN),
    ],
)
def test_chooses_the_query_language_then_accept_language_then_indonesian(
    requested: str | None, accept_language: str | None, expected: Language
) -> None:
    assert choose_language(requested, accept_language) is expected


@pytest.mark.parametrize(
    ("gate_state", "mode", "expected"),
    [
        (GateState.OPEN, IntakeMode.DEFER, Outlook.FORWARDING),
        (GateState.OPEN, IntakeMode.REJECT, Outlook.FORWARDING),
        (GateState.RECOVERING, IntakeMode.REJECT, Outlook.CATCHING_UP),
        (GateState.CLOSED, IntakeMode.DEFER, Outlook.DEFERRING),
        (GateState.CLOSED, IntakeMode.REJECT, Outlook.REJECTING),
    ],
)
def test_a_closed_gate_means_deferring_or_rejecting_by_its_intake_mode(
    gate_state: GateState, mode: IntakeMode, expected: Outlook
) -> None:
    assert outlook_for(gate_state, mode) is expected


@pytest.mark.parametrize("language", list(Language))
def test_every_status_gate_state_and_outlook_has_words_in_every_language(
    language: Language,
) -> None:
    words = WORDING[language]
    assert set(words.siak_statuses) == set(SiakStatus)
    assert set(words.gate_states) == set(GateState)
    assert set(words.outlooks) == set(Outlook)
    assert len(words.months) == 12


@pytest.mark.parametrize(
    ("zone", "language", "expected"),
    [
        (IndonesianTimeZone.WIB, Language.ID, "15 Okt 2021, 07.05 WIB"),
        (IndonesianTimeZone.WITA, Language.ID, "15 Okt 2021, 08.05 WITA"),
        (IndonesianTimeZone.WIT, Language.EN, "15 Oct 2021, 09:05 WIT"),
    ],
)
def test_times_read_as_the_regions_wall_clock_with_its_zone(
    zone: IndonesianTimeZone, language: Language, expected: str
) -> None:
    assert WORDING[language].local_time(DOWN_SINCE, zone) == expected


def test_counts_use_each_languages_thousands_separator() -> None:
    assert WORDING[Language.ID].count(2_500_000) == "2.500.000"
    assert WORDING[Language.EN].count(2_500_000) == "2,500,000"
    assert WORDING[Language.ID].count(7) == "7"


def test_page_is_indonesian_and_refreshes_itself_without_scripts() -> None:
    html = render(view())
    assert html.startswith('<!doctype html>\n<html lang="id">')
    assert f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<h1>Status layanan SIAK per wilayah</h1>" in html
    assert "<script" not in html


def test_a_region_closed_in_defer_mode_still_takes_submissions_in_plain_words() -> None:
    card = region_card(render(view()), "73.71")
    assert "Kota Makassar" in card
    assert 'class="deferring"' in card
    assert "Layanan online tetap menerima pengajuan; akan diteruskan ke SIAK saat pulih." in card
    assert "<dt>Status SIAK</dt><dd>Tidak tersedia</dd>" in card
    assert "<dt>Gerbang ke SIAK</dt><dd>Tertutup</dd>" in card
    assert "<dt>Pengajuan menunggu</dt><dd>1.250</dd>" in card
    assert ">19 Okt 2021, 08.00 WITA</time>" in card  # expected back, Makassar time
    assert '<time datetime="2021-10-15T08:05+08:00">15 Okt 2021, 08.05 WITA</time>' in card


def test_a_region_in_reject_mode_says_it_takes_no_submissions_for_now() -> None:
    card = region_card(render(view(mode=IntakeMode.REJECT)), "73.71")
    assert 'class="rejecting"' in card
    assert "sementara tidak menerima pengajuan" in card


def test_an_unknown_return_time_is_said_and_a_gate_past_closed_shows_none() -> None:
    closed = region_card(render(view(expected_return_at=None)), "73.71")
    assert "<dt>Perkiraan pulih</dt><dd>Belum diketahui</dd>" in closed
    opened = region_card(
        render(view(siak_status=SiakStatus.UP, gate_state=GateState.OPEN, backlog=0)), "73.71"
    )
    assert "Perkiraan pulih" not in opened
    assert "Pengajuan online langsung diteruskan ke SIAK." in opened
    recovering = region_card(
        render(view(siak_status=SiakStatus.UP, gate_state=GateState.RECOVERING)), "73.71"
    )
    assert "Perkiraan pulih" not in recovering
    assert "pengajuan yang menunggu sedang diteruskan bertahap" in recovering


def test_each_region_shows_its_own_time_zone_and_the_page_time_in_every_zone_shown() -> None:
    html = render(
        view(region_code="33.74", name="Kota Semarang"),
        view(),
        view(region_code="91.71", name="Kota Jayapura"),
    )
    assert "15 Okt 2021, 07.05 WIB" in region_card(html, "33.74")
    assert "15 Okt 2021, 09.05 WIT" in region_card(html, "91.71")
    assert "Diperbarui: " in html
    assert "08.30 WIB" in html and "09.30 WITA" in html and "10.30 WIT" in html


def test_english_page_speaks_english() -> None:
    html = render(view(), language=Language.EN)
    assert '<html lang="en">' in html
    assert "<h1>SIAK service status by region</h1>" in html
    card = region_card(html, "73.71")
    assert "<dt>SIAK status</dt><dd>Unavailable</dd>" in card
    assert "forwarded to SIAK when it recovers" in card
    assert "<dt>Submissions waiting</dt><dd>1,250</dd>" in card


def test_language_link_keeps_the_filters_and_names_the_other_language_in_itself() -> None:
    html = render(view(), filters={"region": "73.71", "province": "73"})
    assert (
        '<a href="?region=73.71&amp;province=73&amp;lang=en" hreflang="en" lang="en">English</a>'
        in html
    )
    english = render(view(), language=Language.EN)
    assert 'hreflang="id" lang="id">Bahasa Indonesia</a>' in english


def test_everything_shown_is_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    html = render(
        view(name=f'Kota "X" {hostile}'),
        scope=hostile,
        filters={"region": '"><script>'},
    )
    assert "<script" not in html
    assert "Kota &quot;X&quot; &lt;script&gt;" in html
    assert "Hanya menampilkan: &lt;script&gt;" in html


def test_says_so_when_there_is_nothing_to_show_or_the_filter_is_unknown() -> None:
    assert "Belum ada kabar tentang wilayah mana pun." in render()
    unknown = render(unknown_scope=True, filters={"region": "99.99"})
    assert "Kode wilayah atau provinsi itu tidak dikenal." in unknown
    assert '<a href="?lang=id">Tampilkan semua wilayah</a>' in unknown
