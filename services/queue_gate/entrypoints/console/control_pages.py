"""`/console/controls`: a region's override, intake mode, replay pause and maximum rate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import ValidationError

from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from services.queue_gate.entrypoints.admin_api import ControlChange
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
from services.queue_gate.entrypoints.http_api import list_regions
from services.queue_gate.handlers.operator_actions import change_region_control
from services.queue_gate.runtime import GateRuntime
from shared.regions import load_registry

router = APIRouter(prefix=f"{COOKIE_PATH}/controls", tags=["console"])
UNCHANGED = ""
DEFAULT = "default"


@router.get("")
async def controls_page(
    session: SignedIn, runtime: Runtime, language: ChosenLanguage, done: bool = False
) -> Response:
    page = page_for(session, language, notice=WORDING[language].done if done else None)
    return await _render(page, runtime)


@router.post("")
async def change_controls(form: ActingForm, runtime: Runtime, language: ChosenLanguage) -> Response:
    """The same change as `PATCH /v1/admin/regions/{code}`, checked by the same model."""
    code = form.get("region_code")
    words = WORDING[language]
    if code not in load_registry():
        return await _refused(form, runtime, language, words.unknown_region)
    try:
        change = ControlChange.model_validate(_change_from(form))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "?"
        return await _refused(form, runtime, language, f"{words.invalid_field}: {where}")
    await change_region_control(
        code,
        change.model_dump(exclude_unset=True, exclude={"reason"}),
        reason=change.reason,
        actor=form.session.operator,
        controls=runtime.intake.controls,
        gates=runtime.gates,
    )
    return done(f"{COOKIE_PATH}/controls", language)


def _change_from(form: ConsoleForm) -> dict[str, Any]:
    """Only what the operator chose to change; a blank choice leaves a field as it is."""
    change: dict[str, Any] = {"reason": form.get("reason")}
    for name in ("override", "intake_mode", "replay_paused", "max_rate"):
        value = form.get(name)
        if value == UNCHANGED:
            continue
        change[name] = None if value == DEFAULT else value
    if form.get("max_rate_default"):
        change["max_rate"] = None  # back to GATE_MAX_RATE, as null does in the admin API
    return change


async def _refused(
    form: ConsoleForm, runtime: GateRuntime, language: ChosenLanguage, problem: str
) -> Response:
    page = page_for(form.session, language, problem=problem)
    return await _render(page, runtime, status.HTTP_400_BAD_REQUEST)


async def _render(
    page: Page, runtime: GateRuntime, status_code: int = status.HTTP_200_OK
) -> Response:
    words = page.words
    codes = [view.region_code for view in await list_regions(runtime)]
    controls = await runtime.intake.controls.all(codes)
    registry = load_registry()
    cards = [
        _card(page, code, registry.get(code).name, controls.get(code, RegionControl()))
        for code in codes
    ]
    other = form(
        page,
        f"{COOKIE_PATH}/controls",
        [
            field("region_code", words.region_code, required=True, field_id="region-code-other"),
            *_fields(words, "other"),
        ],
        words.save,
        label=words.other_region,
    )
    body = [
        f'<ul class="cards">{"".join(cards)}</ul>' if cards else f"<p>{text(words.no_regions)}</p>",
        f"<h2>{text(words.other_region)}</h2>",
        other,
    ]
    return html_page(page, words.controls, body, status_code)


def _card(page: Page, code: str, name: str, control: RegionControl) -> str:
    words = page.words
    mode = control.intake_mode.value if control.intake_mode else words.default
    rate = words.default if control.max_rate is None else f"{control.max_rate:g}"
    paused = words.yes if control.replay_paused else words.no
    now = (
        f"{control.override.value} · {mode} · {words.replay_paused}: {paused}"
        f" · {words.max_rate}: {rate}"
    )
    hidden = f'<input type="hidden" name="region_code" value="{text(code)}">'
    return (
        f'<li data-region="{text(code)}"><h2>{text(name)} <small>({text(code)})</small></h2>'
        f"<p>{text(words.current)}: {text(now)}</p>"
        + form(
            page,
            f"{COOKIE_PATH}/controls",
            [hidden, *_fields(words, code)],
            words.save,
            label=f"{words.controls} {code}",
        )
        + "</li>"
    )


def _fields(words: ConsoleWording, key: str) -> list[str]:
    unchanged = (UNCHANGED, words.unchanged)
    return [
        choice(
            "override",
            words.override,
            [unchanged, *((o.value, o.value) for o in Override)],
            field_id=f"override-{key}",
        ),
        choice(
            "intake_mode",
            words.intake_mode,
            [unchanged, *((m.value, m.value) for m in IntakeMode), (DEFAULT, words.default)],
            field_id=f"intake-mode-{key}",
        ),
        choice(
            "replay_paused",
            words.replay_paused,
            [unchanged, ("true", words.yes), ("false", words.no)],
            field_id=f"replay-paused-{key}",
        ),
        field(
            "max_rate",
            words.max_rate,
            kind="number",
            field_id=f"max-rate-{key}",
            extra=' min="0.001" max="10000" step="any"',
        ),
        f'<p><input type="checkbox" id="max-rate-default-{key}" name="max_rate_default" '
        f'value="1"> <label for="max-rate-default-{key}" class="inline">'
        f"{text(words.max_rate_default)}</label></p>",
        field(
            "reason",
            words.reason,
            required=True,
            field_id=f"reason-{key}",
            extra=' maxlength="300"',
        ),
    ]
