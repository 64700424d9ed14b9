"""Request bodies bounded before they cost anything: refused unread, or read only up to a cap."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 64 * 1024
Admit = Callable[[Scope], Response | None]
"""Given a request before its body is read: None to let it in, else the answer refusing it."""


class BodyLimit:
    """ASGI middleware in front of an app that parses whole bodies (FastAPI reads and parses
    a body before it checks any dependency, credentials included).

    In order, before the app sees the request: `admit` may refuse it without one byte of its
    body read (a 401 for missing credentials); a `Content-Length` over `max_bytes` is refused
    with 413, unread; a body without one (chunked) is read up to `max_bytes` and refused with
    413 past that. What passes reaches the app whole, from memory.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES, admit: Admit | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.admit = admit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.admit(scope) if self.admit is not None else None
        if refusal is None:
            refusal = self._refuse_declared_size(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        try:
            body = await self._read(receive)
        except _ClientGoneError:
            return  # nobody to answer
        if body is None:
            await self._too_large()(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)

    def _refuse_declared_size(self, scope: Scope) -> Response | None:
        declared = Headers(scope=scope).get("content-length")
        if declared is None:
            return None
        if not declared.isdigit():
            return JSONResponse({"detail": "Content-Length is not a length"}, status_code=400)
        return self._too_large() if int(declared) > self.max_bytes else None

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it grows past the cap (the rest is left unread)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _ClientGoneError
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> Response:
        return JSONResponse(
            {"detail": f"the request body may be at most {self.max_bytes} bytes"},
            status_code=413,
        )


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
