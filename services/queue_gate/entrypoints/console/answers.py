"""How console pages answer: the page itself, or after a change, a redirect to where it shows."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import status
from fastapi.responses import HTMLResponse, RedirectResponse

from services.queue_gate.entrypoints.console.html import HEADERS, Page, layout
from services.queue_gate.entrypoints.templates.language_choice import Language


def html_page(
    page: Page, heading: str, body: Iterable[str], status_code: int = status.HTTP_200_OK
) -> HTMLResponse:
    headers = {**HEADERS, "Content-Language": page.language.value}
    return HTMLResponse(layout(page, heading, body), status_code=status_code, headers=headers)


def done(path: str, language: Language) -> RedirectResponse:
    """Post/redirect/get: a reload of the page shown after a change does not repeat it."""
    return RedirectResponse(f"{path}?lang={language.value}&done=1", status.HTTP_303_SEE_OTHER)
