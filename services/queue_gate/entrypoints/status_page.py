"""`GET /`: the public status page, every region's gate in words citizens and offices read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, status
from fastapi.responses import HTMLResponse

from services.queue_gate.entrypoints.dependencies import Runtime
from services.queue_gate.entrypoints.http_api import RegionGateView, list_regions, region_view
from services.queue_gate.entrypoints.templates.language_choice import choose_language
from services.queue_gate.entrypoints.templates.status_html import StatusPage, render_status_page
from services.queue_gate.runtime import GateRuntime
from shared.regions import Province, Region, load_registry

router = APIRouter(tags=["status page"])

_HEADERS = {
    "Cache-Control": "no-cache",
    "Vary": "Accept-Language",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class UnknownScopeError(LookupError):
    """The page was asked for a region or province the registry does not hold."""


@router.get("/", response_class=HTMLResponse)
async def status_page(
    runtime: Runtime,
    lang: str | None = None,
    region: str | None = None,
    province: str | None = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """Every region the gate knows (as `GET /v1/regions`); `?region=73.71` or `?province=73`
    narrows it, the region winning when both are given. Bahasa Indonesia unless `?lang=en` or
    Accept-Language asks for English."""
    language = choose_language(lang, accept_language)
    filters = {name: value for name, value in (("region", region), ("province", province)) if value}
    try:
        scope = _scope(region, province)
    except UnknownScopeError:
        page = StatusPage(language, [], runtime.clock(), unknown_scope=True, filters=filters)
        return _html(page, status.HTTP_404_NOT_FOUND)
    page = StatusPage(
        language,
        await _regions_in(scope, runtime),
        runtime.clock(),
        scope=None if scope is None else f"{scope.name} ({scope.code})",
        filters=filters,
    )
    return _html(page, status.HTTP_200_OK)


def _scope(region: str | None, province: str | None) -> Region | Province | None:
    registry = load_registry()
    if region:
        if region not in registry:
            raise UnknownScopeError(region)
        return registry.get(region)
    if province:
        if not registry.has_province(province):
            raise UnknownScopeError(province)
        return registry.in_province(province)[0].province
    return None


async def _regions_in(
    scope: Region | Province | None, runtime: GateRuntime
) -> list[RegionGateView]:
    if isinstance(scope, Region):
        # Asked for by name, a region shows even before the gate has heard of it, as its API does.
        return [await region_view(runtime, scope.code)]
    known = await list_regions(runtime)
    if scope is None:
        return known
    return [view for view in known if view.region_code.startswith(f"{scope.code}.")]


def _html(page: StatusPage, status_code: int) -> HTMLResponse:
    headers = {**_HEADERS, "Content-Language": page.language.value}
    return HTMLResponse(render_status_page(page), status_code=status_code, headers=headers)
