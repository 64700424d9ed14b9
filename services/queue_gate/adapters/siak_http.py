"""SIAK's submission endpoint over HTTP (the simulator in development, SIAK in production).

aiohttp, with a kept-alive connection per region being dispatched: a replay sends one request
per submission, and the client's own cost per request is most of what the gate spends on it.
What an answer means is the domain's business (`domain/siak_answer.py`); here a redirect is
never followed, and no more of an answer is read than a meaningful one needs.
"""

from __future__ import annotations

import aiohttp

from services.queue_gate.domain.siak_answer import SiakAnswer, Unavailable, answer_for

MAX_ANSWER_BYTES = 64 * 1024
"""SIAK's answers are small JSON; a larger body (a web page) is not read to its end."""


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
                # A redirect (say, to a login page) answered by a GET proves nothing was taken.
                allow_redirects=False,
            ) as response:
                status = response.status
                body = await _bounded_body(response)
        except TimeoutError:
            return Unavailable("timeout")
        except (aiohttp.ClientError, OSError) as error:
            return Unavailable(type(error).__name__)
        return answer_for(status, body, idempotency_key=ticket_id)


async def _bounded_body(response: aiohttp.ClientResponse) -> bytes:
    body = bytearray()
    while len(body) <= MAX_ANSWER_BYTES:
        chunk = await response.content.read(MAX_ANSWER_BYTES + 1 - len(body))
        if not chunk:
            break
        body += chunk
    return bytes(body)
