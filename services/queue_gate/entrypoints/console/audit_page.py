"""`/console/audit`: who did what, when and why, newest first, searchable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.queue_gate.entrypoints.console.answers import html_page
from services.queue_gate.entrypoints.console.html import Page, text
from services.queue_gate.entrypoints.console.session import (
    COOKIE_PATH,
    ChosenLanguage,
    SignedIn,
    page_for,
)
from services.queue_gate.entrypoints.dependencies import Runtime
from services.queue_gate.operators.ports import AuditEntry

router = APIRouter(prefix=COOKIE_PATH, tags=["console"])
SHOWN = 200


@router.get("/audit")
async def audit_page(
    session: SignedIn,
    runtime: Runtime,
    language: ChosenLanguage,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The newest `SHOWN` entries of both audits, those mentioning `q` when given."""
    page = page_for(session, language)
    words = page.words
    entries = await runtime.console.audit.search(q.strip() if q else None, limit=SHOWN)
    search = (
        f'<form method="get" action="{COOKIE_PATH}/audit" role="search">'
        f'<input type="hidden" name="lang" value="{language.value}">'
        f'<label for="q">{text(words.search_term)}</label>'
        f'<input type="search" id="q" name="q" value="{text(q or "")}" maxlength="100">'
        f'<button type="submit">{text(words.search)}</button></form>'
    )
    listing = (
        f'<ul class="cards">{"".join(_entry(page, entry) for entry in entries)}</ul>'
        if entries
        else f"<p>{text(words.no_audit)}</p>"
    )
    return html_page(page, words.audit, [search, listing])


def _entry(page: Page, entry: AuditEntry) -> str:
    words = page.words
    rows = [
        (words.when, entry.at.strftime("%Y-%m-%d %H:%M:%S UTC")),
        (words.who, entry.actor),
        (words.what, entry.action),
        (words.subject, entry.subject),
        (words.reason, entry.reason or "-"),
    ]
    described = "".join(f"<dt>{text(term)}</dt><dd>{text(value)}</dd>" for term, value in rows)
    return f"<li><dl>{described}</dl></li>"
