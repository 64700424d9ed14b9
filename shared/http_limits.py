"""Request bodies bounded before they cost anything: refused unread, or read only up to a cap."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 64 * 1024
Admit = Callable[[Scope], Response | None]
"""Given a request before its body is read: None to let it in, else the answer refusing it."""
Cap = Callable[[Scope], int]
"""Given a request: the most bytes its body may have (routes may differ)."""
Refusal = Callable[[int, str], Response]
"""Given a status code and a message: the answer, in the app's own shape of errors."""


def detail_refusal(status_code: int, message: str) -> Response:
    return JSONResponse({"detail": message}, status_code=status_code)


class BodyLimit:
    """ASGI middleware in front of an app that parses whole bodies (FastAPI reads and parses
    a body before it checks any dependency, credentials included).

    In order, before the app sees the request: `admit` may refuse it without one byte of its
    body read (a 401 for missing credentials); a `Content-Length` over `max_bytes` (a number,
    or a function of the request for caps per route) is refused with 413, unread; a body
    without one (chunked) is read up to `max_bytes` and refused with 413 past that. What
    passes reaches the app whole, from memory. `refusal` words the 400 and 413 answers.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int | Cap = DEFAULT_MAX_BODY_BYTES,
        admit: Admit | None = None,
        refusal: Refusal = detail_refusal,
    ) -> None:
        self.app = app
        self.cap: Cap = max_bytes if callable(max_bytes) else (lambda _scope: max_bytes)
        self.admit = admit
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.admit(scope) if self.admit is not None else None
        max_bytes = self.cap(scope)
        if refusal is None:
            refusal = self._refuse_declared_size(scope, max_bytes)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        try:
            body = await _read(receive, max_bytes)
        except _ClientGoneError:
            return  # nobody to answer
        if body is None:
            await self._too_large(max_bytes)(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)

    def _refuse_declared_size(self, scope: Scope, max_bytes: int) -> Response | None:
        declared = Headers(scope=scope).get("content-length")
        if declared is None:
            return None
        if not declared.isdigit():
            return self.refusal(400, "Content-Length is not a length")
        return self._too_large(max_bytes) if int(declared) > max_bytes else None

    def _too_large(self, max_bytes: int) -> Response:
        return self.refusal(413, f"the request body may be at most {max_bytes} bytes")


async def _read(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body, or None once it grows past `max_bytes` (the rest is left unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _ClientGoneError
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _ClientGoneError(Exception):
    """The client disconnected before its body was whole."""


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands over the body read already, then whatever comes next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
