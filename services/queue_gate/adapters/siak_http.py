"""SIAK's submission endpoint over HTTP (the simulator in development, SIAK in production).

aiohttp, with a kept-alive connection per region being dispatched: a replay sends one request
per submission, and the client's own cost per request is most of what the gate spends on it.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from services.queue_gate.ports import Delivered, Refused, SiakAnswer, Unavailable


def siak_session(*, connections: int) -> aiohttp.ClientSession:
    """One session for the gate's life: up to `connections` kept alive to SIAK."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=30),
        raise_for_status=False,
    )


class HttpSiakClient:
    def __init__(self, session: aiohttp.ClientSession, *, base_url: str, timeout_s: float) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def submit(self, region_code: str, ticket_id: str, payload: bytes) -> SiakAnswer:
        try:
            async with self.session.post(
                f"{self.base_url}/regions/{region_code}/submissions",
                data=payload,
                headers={"Idempotency-Key": ticket_id, "Content-Type": "application/json"},
                timeout=self.timeout,
            ) as response:
                status = response.status
                body = await response.read()
        except TimeoutError:
            return Unavailable("timeout")
        except (aiohttp.ClientError, OSError) as error:
            return Unavailable(type(error).__name__)
        return answer_for(status, body)


def answer_for(status: int, body: bytes) -> SiakAnswer:
    """What SIAK's HTTP answer means for the submission."""
    if 200 <= status < 300:
        reference = _json(body).get("siak_reference")
        return Delivered(str(reference) if reference is not None else None)
    if 400 <= status < 500 and status not in (408, 429):
        return Refused(_reason(status, body))
    return Unavailable(f"http_{status}")


def _json(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _reason(status: int, body: bytes) -> str:
    parsed = _json(body)
    reason = parsed.get("reason") or parsed.get("detail")
    return f"http_{status}: {str(reason)[:200]}" if reason else f"http_{status}"
