"""The HTTP prober reads no more of an answer than it checks."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from services.siak_monitor.adapters.http_prober import HttpProber
from services.siak_monitor.domain.probe import ProbeTarget
from tests.unit.siak_monitor.fakes import FakeClock

CHUNK = 64 * 1024


class HugeBody(httpx.AsyncByteStream):
    """100 MB, made one chunk at a time as asked for; counts the chunks taken."""

    def __init__(self, first: bytes = b"") -> None:
        self.first = first
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index in range(1600):
            self.taken += 1
            yield (self.first if index == 0 else b"") + b"x" * CHUNK


async def probe(body: HugeBody, status: int, contains: str | None) -> tuple[bool, str | None]:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, stream=body))
    async with httpx.AsyncClient(transport=transport) as client:
        prober = HttpProber(client, clock=FakeClock())
        target = ProbeTarget("73.71", "http://siak.invalid/health", body_contains=contains)
        result = await prober.probe(target)
    return result.ok, result.error


async def test_a_huge_answer_is_read_only_as_far_as_the_text_checked() -> None:
    healthy, missing = HugeBody(first=b'{"status": "ok"}'), HugeBody()

    assert await probe(healthy, 200, '"ok"') == (True, None)
    assert await probe(missing, 200, '"ok"') == (False, "unexpected_body")
    assert healthy.taken <= 2 and missing.taken <= 2


async def test_without_a_text_to_check_the_body_is_not_read() -> None:
    body = HugeBody()

    assert await probe(body, 503, None) == (False, "http_503")
    assert body.taken <= 1
