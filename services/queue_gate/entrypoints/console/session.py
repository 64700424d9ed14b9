"""Who is signed in (by the session cookie) and the checked form of every console POST."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Header, HTTPException, Request, Response, status

from services.queue_gate.entrypoints.console.html import Page
from services.queue_gate.entrypoints.dependencies import Runtime
from services.queue_gate.entrypoints.templates.language_choice import Language, choose_language
from services.queue_gate.operators.ports import ConsoleSession, Role
from services.queue_gate.operators.signing_in import ConsoleSignIn

SESSION_COOKIE = "console_session"
SIGN_IN_CSRF_COOKIE = "console_sign_in_csrf"
COOKIE_PATH = "/console"
MAX_FORM_FIELDS = 20
FORM_TYPE = "application/x-www-form-urlencoded"


def sign_in_of(runtime: Runtime) -> ConsoleSignIn:
    return runtime.console.sign_in


async def _language(
    lang: str | None = None, accept_language: Annotated[str | None, Header()] = None
) -> Language:
    return choose_language(lang, accept_language)


ChosenLanguage = Annotated[Language, Depends(_language)]


def sign_in_url(language: Language) -> str:
    return f"{COOKIE_PATH}/sign-in?lang={language.value}"


async def _signed_in(
    request: Request, runtime: Runtime, language: ChosenLanguage
) -> ConsoleSession:
    session = await sign_in_of(runtime).current(request.cookies.get(SESSION_COOKIE))
    if session is None:
        # Never signed in, signed out or idle too long: back to the sign-in form.
        raise HTTPException(
            status.HTTP_303_SEE_OTHER,
            "sign in first",
            headers={"Location": sign_in_url(language), "Cache-Control": "no-store"},
        )
    return session


SignedIn = Annotated[ConsoleSession, Depends(_signed_in)]


class ConsoleRefusalError(HTTPException):
    """A console request refused before any change; answered as a page, not JSON."""


class LooksOnlyError(ConsoleRefusalError):
    """A viewer's account tried to change something."""


@dataclass(frozen=True)
class ConsoleForm:
    """A POST's fields, its CSRF token checked against the session's."""

    session: ConsoleSession
    fields: dict[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()


async def form_fields(request: Request) -> dict[str, str]:
    """An url-encoded form's fields, the last of each name; other bodies are refused."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise ConsoleRefusalError(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"send {FORM_TYPE}")
    try:
        pairs = parse_qsl(
            (await request.body()).decode(),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise ConsoleRefusalError(
            status.HTTP_400_BAD_REQUEST, "a form that cannot be read"
        ) from None
    return dict(pairs)


def same_token(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return secrets.compare_digest(given.encode(), expected.encode())


async def _checked_form(request: Request, session: SignedIn) -> ConsoleForm:
    fields = await form_fields(request)
    if not same_token(fields.get("csrf_token"), session.csrf_token):
        raise ConsoleRefusalError(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token")
    return ConsoleForm(session, fields)


CheckedForm = Annotated[ConsoleForm, Depends(_checked_form)]


async def _may_act(form: CheckedForm) -> ConsoleForm:
    if form.session.role is not Role.OPERATOR:
        raise LooksOnlyError(status.HTTP_403_FORBIDDEN, "this account may only look")
    return form


ActingForm = Annotated[ConsoleForm, Depends(_may_act)]


def page_for(session: ConsoleSession, language: Language, **messages: str | None) -> Page:
    return Page(language, session.operator, session.csrf_token, **messages)


def cookie_is_secure(request: Request, configured: bool | None) -> bool:
    return request.url.scheme == "https" if configured is None else configured


def set_cookie(
    response: Response, request: Request, configured: bool | None, name: str, value: str
) -> None:
    response.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=cookie_is_secure(request, configured),
    )
