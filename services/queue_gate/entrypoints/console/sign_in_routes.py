"""`/console/sign-in` and `/console/sign-out`: a session cookie for a name and password."""

from __future__ import annotations

import math
import secrets

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from services.queue_gate.entrypoints.console.html import HEADERS, Page, field, layout, text
from services.queue_gate.entrypoints.console.session import (
    COOKIE_PATH,
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    CheckedForm,
    ChosenLanguage,
    form_fields,
    same_token,
    set_cookie,
    sign_in_of,
    sign_in_url,
)
from services.queue_gate.entrypoints.dependencies import Runtime
from services.queue_gate.entrypoints.templates.language_choice import Language
from services.queue_gate.operators.signing_in import SignInRefusedError, TooManyAttemptsError

router = APIRouter(prefix=COOKIE_PATH, tags=["console"])


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(
    request: Request, runtime: Runtime, language: ChosenLanguage, signed_out: bool = False
) -> HTMLResponse:
    """The sign-in form; its CSRF token is also set in a cookie of its own (double submit)."""
    words = Page(language).words
    return _form(request, runtime, language, notice=words.signed_out if signed_out else None)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, runtime: Runtime, language: ChosenLanguage) -> Response:
    fields = await form_fields(request)
    words = Page(language).words
    if not same_token(fields.get("csrf_token"), request.cookies.get(SIGN_IN_CSRF_COOKIE)):
        return _form(request, runtime, language, refused=status.HTTP_403_FORBIDDEN)
    client = request.client.host if request.client else "unknown"
    try:
        signed_in = await sign_in_of(runtime).sign_in(
            fields.get("name", "").strip(), fields.get("password", ""), client=client
        )
    except TooManyAttemptsError as error:
        answer = _form(
            request,
            runtime,
            language,
            problem=words.too_many_attempts,
            refused=status.HTTP_429_TOO_MANY_REQUESTS,
        )
        answer.headers["Retry-After"] = str(math.ceil(error.retry_after.total_seconds()))
        return answer
    except SignInRefusedError:
        return _form(
            request,
            runtime,
            language,
            problem=words.sign_in_refused,
            refused=status.HTTP_401_UNAUTHORIZED,
        )
    signed = RedirectResponse(f"{COOKIE_PATH}?lang={language.value}", status.HTTP_303_SEE_OTHER)
    set_cookie(
        signed, request, runtime.settings.console_cookie_secure, SESSION_COOKIE, signed_in.token
    )
    signed.delete_cookie(SIGN_IN_CSRF_COOKIE, path=COOKIE_PATH)
    return signed


@router.post("/sign-out")
async def sign_out(
    form: CheckedForm, runtime: Runtime, language: ChosenLanguage
) -> RedirectResponse:
    await sign_in_of(runtime).sign_out(form.session)
    answer = RedirectResponse(f"{sign_in_url(language)}&signed_out=true", status.HTTP_303_SEE_OTHER)
    answer.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return answer


def _form(
    request: Request,
    runtime: Runtime,
    language: Language,
    *,
    notice: str | None = None,
    problem: str | None = None,
    refused: int = status.HTTP_200_OK,
) -> HTMLResponse:
    csrf_token = secrets.token_urlsafe(32)
    page = Page(language, csrf_token=csrf_token, notice=notice, problem=problem)
    words = page.words
    body = [
        f'<form method="post" action="{text(sign_in_url(language))}">',
        f'<input type="hidden" name="csrf_token" value="{text(csrf_token)}">',
        field("name", words.name, required=True, extra=' autocomplete="username"'),
        field(
            "password",
            words.password,
            kind="password",
            required=True,
            extra=' autocomplete="current-password"',
        ),
        f'<button type="submit">{text(words.sign_in)}</button>',
        "</form>",
    ]
    answer = HTMLResponse(
        layout(page, words.sign_in_heading, body), status_code=refused, headers=HEADERS
    )
    set_cookie(
        answer, request, runtime.settings.console_cookie_secure, SIGN_IN_CSRF_COOKIE, csrf_token
    )
    return answer
