"""Operators' API for the portals' intake keys: create (the key shown once), list, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.queue_gate.domain.client_key import ClientKey
from services.queue_gate.entrypoints.dependencies import Operator, Runtime
from services.queue_gate.entrypoints.errors import error_response
from services.queue_gate.entrypoints.operator_text import ClientName, OperatorReason
from services.queue_gate.handlers.client_keys import (
    UnknownRegionsError,
    create_client_key,
    revoke_client_key,
)
from shared.regions import load_registry

router = APIRouter(prefix="/v1/admin/client-keys", tags=["admin"])

RegionCodeField = Annotated[str, Field(pattern=r"^[0-9]{2}\.[0-9]{2}$", examples=["73.71"])]


class NewClientKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ClientName
    rate_per_s: float = Field(gt=0, le=10_000, description="sustained submissions per second")
    burst: int | None = Field(
        default=None, ge=1, le=100_000, description="submissions at once; default a second's"
    )
    regions: list[RegionCodeField] | None = Field(
        default=None,
        max_length=600,
        description="the regions it may submit for; left out: every region",
    )
    reason: OperatorReason


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: OperatorReason


class ClientKeyView(BaseModel):
    """A key as operators see it: never the key, nor its digest."""

    key_id: str
    name: str
    rate_per_s: float
    burst: int
    regions: list[str] | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None


class CreatedClientKey(BaseModel):
    key: str = Field(description="the bearer key for the portal: shown this once, never again")
    client: ClientKeyView


class ClientKeyChangeView(BaseModel):
    key_id: str
    action: str
    reason: str
    changed_by: str
    changed_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreatedClientKey)
async def create_key(
    new: NewClientKey, runtime: Runtime, operator: Operator
) -> CreatedClientKey | JSONResponse:
    """A new intake key for a portal, with its rate and regions; recorded with who and why."""
    try:
        key, secret = await create_client_key(
            runtime.client_keys.store,
            name=new.name,
            rate_per_s=new.rate_per_s,
            burst=new.burst,
            regions=new.regions,
            known_regions=load_registry(),
            actor=operator,
            reason=new.reason,
            now=runtime.clock(),
        )
    except UnknownRegionsError as error:
        return error_response(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "invalid_request",
            "the request has invalid fields",
            fields=[{"loc": ["body", "regions"], "type": "value_error", "msg": str(error)}],
        )
    await runtime.client_keys.refresh()  # this replica takes it at once
    return CreatedClientKey(key=secret, client=client_key_view(key))


@router.get("")
async def list_keys(runtime: Runtime, _operator: Operator) -> list[ClientKeyView]:
    """Every key, revoked ones too, oldest first."""
    return [client_key_view(key) for key in await runtime.client_keys.store.all()]


@router.get("/changes")
async def list_changes(runtime: Runtime, _operator: Operator) -> list[ClientKeyChangeView]:
    """The audit of every key: who created or revoked which, when and why."""
    changes = await runtime.client_keys.store.changes()
    return [ClientKeyChangeView.model_validate(c, from_attributes=True) for c in changes]


@router.post("/{key_id}/revoke")
async def revoke_key(
    key_id: str, revocation: Revocation, runtime: Runtime, operator: Operator
) -> ClientKeyView:
    """Revoke a key: refused at once on this replica, within `GATE_CLIENT_KEY_REFRESH_S` on
    every other."""
    revoked = await revoke_client_key(
        runtime.client_keys.store, key_id, actor=operator, reason=revocation.reason
    )
    if revoked is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no active intake key has this id")
    await runtime.client_keys.refresh()
    return client_key_view(revoked)


def client_key_view(key: ClientKey) -> ClientKeyView:
    """Also what the command prints."""
    return ClientKeyView(
        key_id=key.key_id,
        name=key.name,
        rate_per_s=key.rate_per_s,
        burst=key.burst,
        regions=sorted(key.regions) if key.regions is not None else None,
        created_at=key.created_at,
        created_by=key.created_by,
        revoked_at=key.revoked_at,
        revoked_by=key.revoked_by,
    )
