"""SIAK's submission endpoint over HTTP (the simulator in development, SIAK in production)."""

from __future__ import annotations

import httpx

from services.queue_gate.ports import Delivered, Refused, SiakAnswer, Unavailable


class HttpSiakClient:
    def __init__(self, client: httpx.AsyncClient, *, base_url: str, timeout_s: float) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    async def submit(self, region_code: str, ticket_id: str, payload: bytes) -> SiakAnswer:
        try:
            response = await self.client.post(
                f"{self.base_url}/regions/{region_code}/submissions",
                content=payload,
                headers={"Idempotency-Key": ticket_id, "Content-Type": "application/json"},
                timeout=self.timeout_s,
            )
        except httpx.TimeoutException:
            return Unavailable("timeout")
        except httpx.HTTPError as error:
            return Unavailable(type(error).__name__)
        if response.is_success:
            return Delivered(_reference(response))
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            return Refused(_reason(response))
        return Unavailable(f"http_{response.status_code}")


def _reference(response: httpx.Response) -> str | None:
    try:
        reference = response.json().get("siak_reference")
    except ValueError:
        return None
    return str(reference) if reference is not None else None


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"http_{response.status_code}"
    reason = body.get("reason") or body.get("detail") if isinstance(body, dict) else None
    return (
        f"http_{response.status_code}: {str(reason)[:200]}"
        if reason
        else f"http_{response.status_code}"
    )
