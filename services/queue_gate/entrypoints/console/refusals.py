"""A console request refused (CSRF, role, form) answers as a page in the reader's language."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response, status

from services.queue_gate.entrypoints.console.answers import html_page
from services.queue_gate.entrypoints.console.html import Page
from services.queue_gate.entrypoints.console.session import ConsoleRefusalError, LooksOnlyError
from services.queue_gate.entrypoints.templates.language_choice import choose_language


async def _refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, ConsoleRefusalError)
    language = choose_language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    words = Page(language).words
    if isinstance(error, LooksOnlyError):
        problem = words.not_allowed
    elif error.status_code == status.HTTP_403_FORBIDDEN:
        problem = words.form_refused
    else:
        problem = words.invalid_field
    page = Page(language, problem=problem)
    link = f'<p><a href="{page.href("/console")}">{words.regions}</a></p>'
    return html_page(page, words.title, [link], error.status_code)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ConsoleRefusalError, _refused)
