"""`/console/parked`: parked submissions with SIAK's reason code, each retried or cancelled."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response, status

from services.queue_gate.domain.ticket import SubmissionState, is_ticket_id
from services.queue_gate.entrypoints.console.answers import done, html_page
from services.queue_gate.entrypoints.console.html import Page, field, form, text
from services.queue_gate.entrypoints.console.session import (
    COOKIE_PATH,
    ActingForm,
    ChosenLanguage,
    SignedIn,
    page_for,
)
from services.queue_gate.entrypoints.console.wording import WORDING
from services.queue_gate.entrypoints.dependencies import ParkedCursor, Runtime
from services.queue_gate.entrypoints.operator_text import MAX_REASON, is_reason
from services.queue_gate.handlers.operator_actions import move_parked, parked_page
from services.queue_gate.ports import ParkedSubmission
from services.queue_gate.runtime import GateRuntime

router = APIRouter(prefix=f"{COOKIE_PATH}/parked", tags=["console"])
REGION_QUERY = Query(pattern=r"^[0-9]{2}\.[0-9]{2}$")
PAGE_SIZE = 50
_MOVES = {"retry": SubmissionState.QUEUED, "cancel": SubmissionState.CANCELLED}


@router.get("")
async def parked_list(
    session: SignedIn,
    runtime: Runtime,
    language: ChosenLanguage,
    *,
    region: Annotated[str | None, REGION_QUERY] = None,
    after: ParkedCursor = None,
    done: bool = False,
) -> Response:
    """`PAGE_SIZE` at a time, in acceptance order, with a link to the next page."""
    page = page_for(session, language, notice=WORDING[language].done if done else None)
    return await _render(page, runtime, region, after=after)


@router.post("/{ticket_id}/{move}")
async def move_parked_submission(
    ticket_id: str,
    move: Literal["retry", "cancel"],
    form: ActingForm,
    runtime: Runtime,
    language: ChosenLanguage,
) -> Response:
    """`retry` puts it back in line at its place, `cancel` gives up on it; with a reason."""
    page = page_for(form.session, language)
    reason = form.get("reason")
    if not is_ticket_id(ticket_id):
        problem: tuple[str, int] | None = (page.words.no_such_ticket, status.HTTP_404_NOT_FOUND)
    elif not is_reason(reason):
        problem = (page.words.reason_required, status.HTTP_400_BAD_REQUEST)
    elif not await move_parked(
        ticket_id,
        to=_MOVES[move],
        reason=reason,
        actor=form.session.operator,
        submissions=runtime.intake.submissions,
        now=runtime.clock(),
    ):
        problem = (page.words.not_parked, status.HTTP_409_CONFLICT)
    else:
        problem = None
    if problem is not None:
        words, status_code = problem
        return await _render(page, runtime, None, problem=words, status_code=status_code)
    return done(f"{COOKIE_PATH}/parked", language)


async def _render(
    page: Page,
    runtime: GateRuntime,
    region: str | None,
    *,
    after: int | None = None,
    problem: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    if problem:
        page = Page(page.language, page.operator, page.csrf_token, problem=problem)
    parked = await parked_page(runtime.intake.submissions, region, after=after, limit=PAGE_SIZE)
    words = page.words
    cards = "".join(_card(page, submission) for submission in parked.submissions)
    body = [
        f'<ul class="cards">{cards}</ul>'
        if parked.submissions
        else f"<p>{text(words.no_parked)}</p>"
    ]
    if parked.next_after is not None:
        query = {"region": region} if region else {}
        following = urlencode({**query, "lang": page.language.value, "after": parked.next_after})
        body.append(
            f'<p><a href="{text(f"{COOKIE_PATH}/parked?{following}")}" rel="next">'
            f"{text(words.next_page)}</a></p>"
        )
    return html_page(page, words.parked, body, status_code)


def _card(page: Page, submission: ParkedSubmission) -> str:
    """The ticket, its region and service and SIAK's reason code: nothing of the applicant."""
    words = page.words
    ticket = submission.ticket_id
    rows = [
        (words.region, submission.region_code),
        (words.service, submission.service_type),
        (words.siak_reason, submission.parked_reason or "-"),
        (words.since, submission.updated_at.strftime("%Y-%m-%d %H:%M UTC")),
    ]
    described = "".join(f"<dt>{text(term)}</dt><dd>{text(value)}</dd>" for term, value in rows)
    actions = [
        form(
            page,
            f"{COOKIE_PATH}/parked/{ticket}/{move}",
            [
                field(
                    "reason",
                    words.reason,
                    required=True,
                    field_id=f"reason-{move}-{ticket}",
                    extra=f' maxlength="{MAX_REASON}"',
                )
            ],
            label,
            label=f"{label} {ticket}",
        )
        for move, label in (("retry", words.retry), ("cancel", words.cancel))
    ]
    return (
        f'<li data-ticket="{text(ticket)}"><h2>{text(words.ticket)} {text(ticket)}</h2>'
        f"<dl>{described}</dl>{''.join(actions)}</li>"
    )
