"""`/console`: every region's SIAK status, gate, backlog, replay rate and drain time."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from services.queue_gate.entrypoints.console.answers import html_page
from services.queue_gate.entrypoints.console.html import Page, text
from services.queue_gate.entrypoints.console.session import (
    COOKIE_PATH,
    ChosenLanguage,
    SignedIn,
    page_for,
)
from services.queue_gate.entrypoints.dependencies import Runtime
from services.queue_gate.entrypoints.http_api import RegionGateView, list_regions
from services.queue_gate.entrypoints.templates.status_wording import WORDING as STATUS_WORDING
from services.queue_gate.handlers.tickets import estimate_with
from services.queue_gate.runtime import GateRuntime

router = APIRouter(prefix=COOKIE_PATH, tags=["console"])


@router.get("", response_class=HTMLResponse)
async def regions_page(
    session: SignedIn, runtime: Runtime, language: ChosenLanguage
) -> HTMLResponse:
    """Every region as `GET /v1/regions` shows it, with when its backlog should be sent."""
    page = page_for(session, language)
    views = await list_regions(runtime)
    cards = [_region_card(page, view, await _drained_at(runtime, view)) for view in views]
    body = [
        f'<ul class="cards">{"".join(cards)}</ul>'
        if cards
        else f"<p>{text(page.words.no_regions)}</p>"
    ]
    return html_page(page, page.words.regions, body)


async def _drained_at(runtime: GateRuntime, view: RegionGateView) -> datetime | None:
    """When the last of the backlog should reach SIAK: the estimate its newest ticket gets."""
    if view.backlog == 0:
        return None
    gate = await runtime.region_gate(view.region_code)
    estimate = estimate_with(
        view.backlog - 1,
        gate=gate,
        pace=runtime.pace(gate),
        pacing=runtime.dispatch.pacing,
        now=runtime.clock(),
    )
    return estimate.estimated_delivery_at


def _region_card(page: Page, view: RegionGateView, drained_at: datetime | None) -> str:
    words = page.words
    rate = f"{view.replay_rate:g}" + (f" ({words.paused})" if view.replay_paused else "")
    # The status page's words for what SIAK and the gate are doing, the API's value beside them.
    public = STATUS_WORDING[page.language]
    status = f"{public.siak_statuses[view.siak_status]} ({view.siak_status.value})"
    gate = f"{public.gate_states[view.gate_state]} ({view.gate_state.value})"
    rows = [
        (words.siak_status, status),
        (words.gate, f"{gate} · {view.override.value} · {view.mode.value}"),
        (words.backlog, str(view.backlog)),
        (words.replay_rate, rate),
        (words.drain_time, _moment(drained_at) if view.backlog else "-"),
    ]
    if view.reason:
        rows.append((words.reason, view.reason))
    described = "".join(f"<dt>{text(term)}</dt><dd>{text(value)}</dd>" for term, value in rows)
    return (
        f'<li data-region="{text(view.region_code)}"><h2>{text(view.name)} '
        f"<small>({text(view.region_code)})</small></h2><dl>{described}</dl></li>"
    )


def _moment(at: datetime | None) -> str:
    return "?" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")
