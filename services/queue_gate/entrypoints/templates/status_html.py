"""The public status page as HTML: one card per region, readable on a phone, no scripts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from services.queue_gate.domain.gate import GateState
from services.queue_gate.entrypoints.http_api import RegionGateView
from services.queue_gate.entrypoints.templates.language_choice import Language
from services.queue_gate.entrypoints.templates.status_wording import WORDING, Wording, outlook_for
from shared.regions import IndonesianTimeZone, load_registry

REFRESH_SECONDS = 30

_STYLE = """
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45;
color:#1b1f24;background:#f4f6f8}
body{margin:0 auto;max-width:72rem;padding:1rem}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.15rem;margin:1.25rem 0 .5rem}
h3{font-size:1.05rem;margin:0}
a{color:#0b57d0}
nav{margin:.5rem 0}
.note{color:#4a5360;font-size:.9rem}
.regions{list-style:none;margin:0;padding:0;display:grid;gap:.75rem;
grid-template-columns:repeat(auto-fill,minmax(min(21rem,100%),1fr))}
.regions>li{background:#fff;border:1px solid #d5dae1;border-left:.4rem solid var(--tone);
border-radius:.4rem;padding:.75rem 1rem}
.code{color:#4a5360;font-weight:400;white-space:nowrap}
.outlook{margin:.4rem 0 .6rem}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem .75rem;margin:0}
dt{color:#4a5360}
dd{margin:0;font-weight:600;overflow-wrap:anywhere}
@media (max-width:24rem){dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin-bottom:.3rem}}
.forwarding{--tone:#1a7f37}.catching-up{--tone:#0b57d0}
.deferring{--tone:#b35900}.rejecting{--tone:#b3261e}
footer{margin-top:1.5rem}
"""


@dataclass(frozen=True)
class StatusPage:
    """What one rendering of the page shows; `filters` are the query's region/province."""

    language: Language
    regions: Sequence[RegionGateView]
    generated_at: datetime
    scope: str | None = None
    unknown_scope: bool = False
    filters: Mapping[str, str] = field(default_factory=dict)


def render_status_page(page: StatusPage) -> str:
    words = WORDING[page.language]
    return "\n".join(
        [
            "<!doctype html>",
            f'<html lang="{page.language.value}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">',
            f"<title>{escape(words.title)}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{escape(words.title)}</h1>",
            f"<p>{escape(words.explanation)}</p>",
            _language_links(page, words),
            _freshness(page, words),
            "</header>",
            "<main>",
            f"<h2>{escape(words.regions_heading)}</h2>",
            _scope_note(page, words),
            _region_list(page.regions, words),
            "</main>",
            f'<footer class="note"><p>{escape(words.data_source)}</p></footer>',
            "</body>",
            "</html>",
            "",
        ]
    )


def _language_links(page: StatusPage, words: Wording) -> str:
    links = [
        f'<a href="{_query(page.filters, lang=other.value)}" hreflang="{other.value}" '
        f'lang="{other.value}">{escape(WORDING[other].language_name)}</a>'
        for other in Language
        if other is not page.language
    ]
    return f'<nav aria-label="{escape(words.language_nav)}">{" · ".join(links)}</nav>'


def _freshness(page: StatusPage, words: Wording) -> str:
    shown_zones = {_zone(view.region_code) for view in page.regions}
    zones = [zone for zone in IndonesianTimeZone if zone in shown_zones] or [IndonesianTimeZone.WIB]
    times = " · ".join(_time(page.generated_at, zone, words) for zone in zones)
    refresh = words.refreshes_every.format(seconds=REFRESH_SECONDS)
    return f'<p class="note">{escape(words.updated)}: {times}. {escape(refresh)}</p>'


def _scope_note(page: StatusPage, words: Wording) -> str:
    if page.unknown_scope:
        shown = escape(words.unknown_filter)
    elif page.scope is not None:
        shown = f"{escape(words.showing_only)}: {escape(page.scope)}."
    else:
        return ""
    show_all = f'<a href="{_query({}, lang=page.language.value)}">{escape(words.show_all)}</a>'
    return f"<p>{shown} {show_all}</p>"


def _region_list(regions: Sequence[RegionGateView], words: Wording) -> str:
    if not regions:
        return f"<p>{escape(words.no_regions)}</p>"
    items = "\n".join(_region_item(view, words) for view in regions)
    return f'<ul class="regions">\n{items}\n</ul>'


def _region_item(view: RegionGateView, words: Wording) -> str:
    zone = _zone(view.region_code)
    outlook = outlook_for(view.gate_state, view.mode)
    facts = [
        (words.siak_status, escape(words.siak_statuses[view.siak_status])),
        (words.gate, escape(words.gate_states[view.gate_state])),
    ]
    if view.gate_state is GateState.CLOSED:
        facts.append((words.expected_return, _maybe_time(view.expected_return_at, zone, words)))
    facts.append((words.waiting, escape(words.count(view.backlog))))
    if view.since is not None:
        facts.append((words.status_since, _time(view.since, zone, words)))
    rows = "".join(f"<dt>{escape(term)}</dt><dd>{value}</dd>" for term, value in facts)
    return (
        f'<li class="{outlook.value}">'
        f'<h3>{escape(view.name)} <span class="code">{escape(view.region_code)}</span></h3>'
        f'<p class="outlook">{escape(words.outlooks[outlook])}</p>'
        f"<dl>{rows}</dl></li>"
    )


def _maybe_time(at: datetime | None, zone: IndonesianTimeZone, words: Wording) -> str:
    return escape(words.not_known_yet) if at is None else _time(at, zone, words)


def _time(at: datetime, zone: IndonesianTimeZone, words: Wording) -> str:
    machine = at.astimezone(zone.tzinfo).isoformat(timespec="minutes")
    return f'<time datetime="{escape(machine)}">{escape(words.local_time(at, zone))}</time>'


def _zone(region_code: str) -> IndonesianTimeZone:
    return load_registry().get(region_code).timezone


def _query(filters: Mapping[str, str], *, lang: str) -> str:
    return escape("?" + urlencode({**filters, "lang": lang}))
