"""siak_monitor's maintenance API over HTTP, called with its admin token by the console."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.queue_gate.operators.ports import (
    MaintenancePlan,
    MaintenanceRefusedError,
    MaintenanceWindow,
    MonitorUnavailableError,
)
from shared.events import MaintenanceRecurrence

_PLANS = "/v1/maintenance"
_ATTEMPTS = 10
"""Tries while the monitor's standby answers: each on a new connection (a standby's refusal
closes its own), which the monitor's Service sends to either replica at random, so all ten reach
the standby about once in 1,024 calls (five: once in 32)."""
_STANDING_HEADER = "Monitor-Standing"


class _Message(BaseModel):
    id: str
    en: str


class _PlanAnswer(BaseModel):
    """What the gate reads of the monitor's `MaintenanceView`."""

    id: str
    origin: Literal["file", "api"]
    regions: list[str] | Literal["*"]
    starts_at: datetime
    ends_at: datetime
    recurrence: MaintenanceRecurrence | None = None
    reason: str
    message: _Message


T = TypeVar("T")
_ONE_PLAN = TypeAdapter(_PlanAnswer)
_PLAN_LIST = TypeAdapter(list[_PlanAnswer])


class HttpMaintenanceCalendar:
    def __init__(self, http: httpx.AsyncClient, *, admin_token: str | None) -> None:
        self.http = http
        self.admin_token = admin_token

    async def plans(self) -> list[MaintenancePlan]:
        answer = await self._call("GET", _PLANS)
        return [_plan(item) for item in _read(_PLAN_LIST, answer)]

    async def schedule(self, window: MaintenanceWindow) -> MaintenancePlan:
        answer = await self._call("POST", _PLANS, _request(window), admin=True)
        return _plan(_read(_ONE_PLAN, answer))

    async def change(self, plan_id: str, window: MaintenanceWindow) -> MaintenancePlan | None:
        answer = await self._call("PUT", f"{_PLANS}/{plan_id}", _request(window), admin=True)
        return None if answer.status_code == 404 else _plan(_read(_ONE_PLAN, answer))

    async def cancel(self, plan_id: str) -> bool:
        answer = await self._call("DELETE", f"{_PLANS}/{plan_id}", admin=True)
        return answer.status_code != 404

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, admin: bool = False
    ) -> httpx.Response:
        headers = {}
        if admin:
            if not self.admin_token:
                raise MonitorUnavailableError("GATE_MONITOR_ADMIN_TOKEN is not set")
            headers["Authorization"] = f"Bearer {self.admin_token}"
        for _ in range(_ATTEMPTS):
            try:
                answer = await self.http.request(method, path, json=body, headers=headers)
            except httpx.HTTPError as error:
                raise MonitorUnavailableError(type(error).__name__) from None
            # A standby refuses before doing anything, so any call may be asked again.
            if _STANDING_HEADER not in answer.headers:
                break
        else:
            raise MonitorUnavailableError(
                f"the monitor's replicas stand by ({answer.headers[_STANDING_HEADER]})"
            )
        if answer.status_code == 422:
            raise _refusal(answer)
        if answer.status_code == 409:
            raise MaintenanceRefusedError("the monitor's configuration file holds this plan")
        if answer.status_code != 404 and answer.is_error:
            raise MonitorUnavailableError(f"the monitor answered {answer.status_code}")
        return answer


def _request(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "regions": window.regions,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "reason": window.reason,
        "message": {"id": window.message_id, "en": window.message_en},
        "recurrence": window.recurrence,
    }


def _read(shape: TypeAdapter[T], answer: httpx.Response) -> T:
    # A 2xx that is not the plans' JSON (a proxy's page, another version) is no answer: the
    # console says the monitor is unavailable instead of failing with a 500.
    try:
        return shape.validate_json(answer.content)
    except ValidationError:
        raise MonitorUnavailableError("unreadable answer from the monitor") from None


def _plan(item: _PlanAnswer) -> MaintenancePlan:
    return MaintenancePlan(
        id=item.id,
        editable=item.origin == "api",
        window=MaintenanceWindow(
            regions=item.regions,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            reason=item.reason,
            message_id=item.message.id,
            message_en=item.message.en,
            recurrence=item.recurrence,
        ),
    )


def _refusal(answer: httpx.Response) -> MaintenanceRefusedError:
    """The first field the monitor named, without echoing what was sent."""
    try:
        first = answer.json()["detail"][0]
        location = [str(part) for part in first["loc"] if part != "body"]
        return MaintenanceRefusedError(str(first["msg"]), ".".join(location) or None)
    except (ValueError, KeyError, IndexError, TypeError):
        return MaintenanceRefusedError("the monitor refused the window")
