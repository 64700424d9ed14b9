"""A lean HTTP/1.1 keep-alive client: one connection per worker, one request in flight on it,
so the load generator spends as little of the machine's CPU as it can."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.stats import Sample

MAX_HEAD_BYTES = 64 * 1024
TRANSPORT_ERRORS = (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError)


class ProtocolError(ValueError):
    """An answer this client does not read (no Content-Length, chunked)."""


@dataclass(frozen=True)
class Request:
    head: bytes
    body: bytes


def build_request(
    method: str, path: str, *, host: str, headers: dict[str, str], body: bytes
) -> Request:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return Request(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body)


class Connection:
    def __init__(self, host: str, port: int, *, timeout_s: float) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> int:
        """The answer's status code; raises on a transport or protocol failure."""
        async with asyncio.timeout(self.timeout_s):
            if self._reader is None or self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(
                    self.host, self.port, limit=MAX_HEAD_BYTES
                )
            self._writer.write(request.head + request.body)
            head = await self._reader.readuntil(b"\r\n\r\n")
            status, length, closing = _parse_head(head)
            await self._reader.readexactly(length)
        if closing:
            await self.close()
        return status

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(*TRANSPORT_ERRORS):
                await asyncio.wait_for(writer.wait_closed(), timeout=2)


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    closing = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding":
            raise ProtocolError("chunked answers are not expected here")
        elif name == "connection" and value.strip().lower() == "close":
            closing = True
    if length is None:
        raise ProtocolError("an answer without Content-Length")
    return status, length, closing


async def drive(
    connection: Connection,
    next_request: Callable[[], Request],
    *,
    expected_status: int,
    until: float,
    samples: list[Sample],
) -> None:
    """Send requests back to back on one connection until the perf_counter time `until`."""
    while (started := time.perf_counter()) < until:
        try:
            status = await connection.send(next_request())
        except (*TRANSPORT_ERRORS, ProtocolError):
            status = 0
            await connection.close()
            await asyncio.sleep(0.05)  # a refused connection must not turn into a busy loop
        samples.append(Sample(started, time.perf_counter(), status == expected_status))
    await connection.close()
