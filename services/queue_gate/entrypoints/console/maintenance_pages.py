"""`/console/maintenance`: the monitor's windows listed, scheduled, changed and cancelled."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response, status

from services.queue_gate.entrypoints.console.answers import done, html_page
from services.queue_gate.entrypoints.console.html import Page, choice, field, form, text
from services.queue_gate.entrypoints.console.session import (
    COOKIE_PATH,
    ActingForm,
    ChosenLanguage,
    ConsoleForm,
    SignedIn,
    page_for,
)
from services.queue_gate.entrypoints.console.wording import WORDING, ConsoleWording
from services.queue_gate.entrypoints.dependencies import Runtime
from services.queue_gate.entrypoints.operator_text import is_reason
from services.queue_gate.handlers.operator_actions import (
    cancel_maintenance,
    change_maintenance,
    schedule_maintenance,
)
from services.queue_gate.operators.ports import (
    MaintenancePlan,
    MaintenanceRefusedError,
    MaintenanceWindow,
    MonitorUnavailableError,
)
from services.queue_gate.runtime import GateRuntime
from shared.events import MaintenanceRecurrence

router = APIRouter(prefix=f"{COOKIE_PATH}/maintenance", tags=["console"])
PATH = f"{COOKIE_PATH}/maintenance"
_MINUTES = "%Y-%m-%dT%H:%M"
_SECONDS = "%Y-%m-%dT%H:%M:%S"
_SHOWN = "%Y-%m-%d %H:%M"
_UTC, _LOCAL = "utc", "local"


class InvalidFieldError(ValueError):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@router.get("")
async def maintenance_page(
    session: SignedIn, runtime: Runtime, language: ChosenLanguage, done: bool = False
) -> Response:
    page = page_for(session, language, notice=WORDING[language].done if done else None)
    return await _render(page, runtime)


@router.post("")
async def schedule(form: ActingForm, runtime: Runtime, language: ChosenLanguage) -> Response:
    try:
        await schedule_maintenance(
            _window(form),
            actor=form.session.operator,
            calendar=runtime.console.maintenance,
            audit=runtime.console.audit,
            now=runtime.clock(),
        )
    except (InvalidFieldError, MaintenanceRefusedError, MonitorUnavailableError) as error:
        return await _refused(form, runtime, language, error)
    return done(PATH, language)


@router.post("/{plan_id}")
async def change(
    plan_id: str, form: ActingForm, runtime: Runtime, language: ChosenLanguage
) -> Response:
    try:
        changed = await change_maintenance(
            plan_id,
            _window(form),
            actor=form.session.operator,
            calendar=runtime.console.maintenance,
            audit=runtime.console.audit,
            now=runtime.clock(),
        )
    except (InvalidFieldError, MaintenanceRefusedError, MonitorUnavailableError) as error:
        return await _refused(form, runtime, language, error)
    if changed is None:
        return await _refused(form, runtime, language, None, status.HTTP_404_NOT_FOUND)
    return done(PATH, language)


@router.post("/{plan_id}/cancel")
async def cancel(
    plan_id: str, form: ActingForm, runtime: Runtime, language: ChosenLanguage
) -> Response:
    reason = form.get("reason")
    if not is_reason(reason, longest=200):
        return await _refused(form, runtime, language, InvalidFieldError("reason"))
    try:
        cancelled = await cancel_maintenance(
            plan_id,
            reason=reason,
            actor=form.session.operator,
            calendar=runtime.console.maintenance,
            audit=runtime.console.audit,
            now=runtime.clock(),
        )
    except (MaintenanceRefusedError, MonitorUnavailableError) as error:
        return await _refused(form, runtime, language, error)
    if not cancelled:
        return await _refused(form, runtime, language, None, status.HTTP_404_NOT_FOUND)
    return done(PATH, language)


def _window(form: ConsoleForm) -> MaintenanceWindow:
    """The form's window; times typed without an offset are UTC or, as the form says, each
    region's local time (kept without an offset, as the monitor takes it)."""
    regions = form.get("regions")
    codes = [code.strip() for code in regions.split(",") if code.strip()]
    if not codes:
        raise InvalidFieldError("regions")
    for name in ("reason", "message_id", "message_en"):
        if not form.get(name):
            raise InvalidFieldError(name)
    times_in = form.get("times_in") or _UTC
    if times_in not in (_UTC, _LOCAL):
        raise InvalidFieldError("times_in")
    return MaintenanceWindow(
        regions="*" if codes == ["*"] else codes,
        starts_at=_instant(form, "starts_at", local=times_in == _LOCAL),
        ends_at=_instant(form, "ends_at", local=times_in == _LOCAL),
        reason=form.get("reason"),
        message_id=form.get("message_id"),
        message_en=form.get("message_en"),
        recurrence=_recurrence(form),
    )


def _instant(form: ConsoleForm, name: str, *, local: bool) -> datetime:
    try:
        moment = datetime.fromisoformat(form.get(name))
    except ValueError:
        raise InvalidFieldError(name) from None
    return moment if moment.tzinfo or local else moment.replace(tzinfo=UTC)


def _recurrence(form: ConsoleForm) -> MaintenanceRecurrence | None:
    chosen = form.get("recurrence")
    if not chosen:
        return None
    try:
        return MaintenanceRecurrence(chosen)
    except ValueError:
        raise InvalidFieldError("recurrence") from None


async def _refused(
    form: ConsoleForm,
    runtime: GateRuntime,
    language: ChosenLanguage,
    error: Exception | None,
    status_code: int = status.HTTP_400_BAD_REQUEST,
) -> Response:
    words = WORDING[language]
    if isinstance(error, MonitorUnavailableError):
        problem, status_code = words.monitor_unavailable, status.HTTP_503_SERVICE_UNAVAILABLE
    elif isinstance(error, MaintenanceRefusedError):
        problem = f"{words.invalid_field}: {error.field or '?'}: {error}"
        status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    elif isinstance(error, InvalidFieldError):
        problem = f"{words.invalid_field}: {error.field}"
    else:
        problem = "404"
    return await _render(page_for(form.session, language, problem=problem), runtime, status_code)


async def _render(
    page: Page, runtime: GateRuntime, status_code: int = status.HTTP_200_OK
) -> Response:
    words = page.words
    try:
        plans = await runtime.console.maintenance.plans()
        listing = (
            f'<ul class="cards">{"".join(_card(page, plan) for plan in plans)}</ul>'
            if plans
            else f"<p>{text(words.no_maintenance)}</p>"
        )
    except MonitorUnavailableError:
        listing = f'<p class="problem">{text(words.monitor_unavailable)}</p>'
    body = [
        listing,
        f"<h2>{text(words.schedule)}</h2>",
        form(page, PATH, _fields(words, "new", None), words.schedule, label=words.schedule),
    ]
    return html_page(page, words.maintenance, body, status_code)


def _card(page: Page, plan: MaintenancePlan) -> str:
    words = page.words
    window = plan.window
    regions = words.every_region if window.regions == "*" else ", ".join(window.regions)
    rows = [
        (words.region, regions),
        (words.starts_at, _shown(words, window.starts_at)),
        (words.ends_at, _shown(words, window.ends_at)),
        (words.recurrence, words.weekly if window.recurrence else words.once),
        (words.reason, window.reason),
        (words.message_id, window.message_id),
        (words.message_en, window.message_en),
    ]
    described = "".join(f"<dt>{text(term)}</dt><dd>{text(value)}</dd>" for term, value in rows)
    if not plan.editable:
        actions = f"<p>{text(words.from_file)}</p>"
    else:
        key = plan.id
        actions = form(
            page,
            f"{PATH}/{key}",
            _fields(words, key, window),
            words.change,
            label=f"{words.change} {key}",
        ) + form(
            page,
            f"{PATH}/{key}/cancel",
            [field("reason", words.reason, required=True, field_id=f"cancel-reason-{key}")],
            words.cancel,
            label=f"{words.cancel} {key}",
        )
    return (
        f'<li data-plan="{text(plan.id)}"><h2>{text(plan.id)}</h2><dl>{described}</dl>'
        f"{actions}</li>"
    )


def _fields(words: ConsoleWording, key: str, window: MaintenanceWindow | None) -> list[str]:
    def value(of: str) -> str:
        return of if window else ""

    regions = (
        ""
        if window is None
        else (window.regions if isinstance(window.regions, str) else ", ".join(window.regions))
    )
    starts = "" if window is None else _typed(window.starts_at)
    ends = "" if window is None else _typed(window.ends_at)
    local = window is not None and window.starts_at.tzinfo is None
    return [
        field(
            "regions",
            words.regions_field,
            required=True,
            value=regions,
            hint=words.regions_hint,
            field_id=f"regions-{key}",
        ),
        field(
            "starts_at",
            words.starts_at,
            kind="datetime-local",
            required=True,
            value=starts,
            field_id=f"starts-{key}",
        ),
        field(
            "ends_at",
            words.ends_at,
            kind="datetime-local",
            required=True,
            value=ends,
            field_id=f"ends-{key}",
        ),
        choice(
            "times_in",
            words.times_in,
            [(_UTC, "UTC"), (_LOCAL, f"{words.local_time} (WIB, WITA, WIT)")],
            field_id=f"times-in-{key}",
            chosen=_LOCAL if local else _UTC,
        ),
        choice(
            "recurrence",
            words.recurrence,
            [("", words.once), (MaintenanceRecurrence.WEEKLY.value, words.weekly)],
            field_id=f"recurrence-{key}",
            chosen=window.recurrence if window and window.recurrence else "",
        ),
        field(
            "reason",
            words.reason,
            required=True,
            value=value(window.reason if window else ""),
            field_id=f"reason-{key}",
        ),
        field(
            "message_id",
            words.message_id,
            required=True,
            value=value(window.message_id if window else ""),
            field_id=f"message-id-{key}",
        ),
        field(
            "message_en",
            words.message_en,
            required=True,
            value=value(window.message_en if window else ""),
            field_id=f"message-en-{key}",
        ),
    ]


def _shown(words: ConsoleWording, moment: datetime) -> str:
    if moment.tzinfo is None:
        return f"{moment.strftime(_SHOWN)} ({words.local_time})"
    return f"{moment.astimezone(UTC).strftime(_SHOWN)} UTC"


def _typed(moment: datetime) -> str:
    """As the form takes it back unchanged: local times as they are, instants in UTC."""
    typed = moment if moment.tzinfo is None else moment.astimezone(UTC)
    return typed.strftime(_SECONDS if typed.second else _MINUTES)
