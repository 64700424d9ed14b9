"""Request bodies bounded before they cost anything: credentials first, then the size.

FastAPI reads and parses a declared body before it runs any dependency, credentials
included: without this, anyone could make the gate hold a 64 MB admin request in memory.
This ASGI middleware, in front of the app, takes the first rule whose path prefix matches a
request: it refuses it with 401 when the rule's credentials are missing or wrong, without
reading a byte of the body; with 413 when its declared `Content-Length` is over the rule's
cap, unread; and it reads a body without one (chunked) no further than the cap. What passes
reaches the app whole, from memory.

(Gate-local for now: the monitor's engineer is writing one for both services.)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.queue_gate.entrypoints.errors import error_body

TokenSource = Callable[[], str]


@dataclass(frozen=True)
class BodyRule:
    path_prefix: str
    max_bytes: int
    bearer: TokenSource | None = None
    """The token a request under this prefix must bear, checked before its body is read."""
    methods: frozenset[str] = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    """Only these need the token here (a GET has no body; its route checks its own)."""


class BoundedBodies:
    def __init__(self, app: ASGIApp, *, rules: Sequence[BodyRule], default_max_bytes: int) -> None:
        self.app = app
        self.rules = rules
        self.default = BodyRule("", default_max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self._rule_for(scope["path"])
        headers = Headers(scope=scope)
        refusal = _unauthorized(rule, scope["method"], headers) or _declared_too_large(
            rule, headers
        )
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        try:
            body = await _read_up_to(rule.max_bytes, receive)
        except _ClientGoneError:
            return  # nobody to answer
        if body is None:
            await _too_large(rule)(scope, receive, send)
            return
        await self.app(scope, _replaying(body, receive), send)

    def _rule_for(self, path: str) -> BodyRule:
        return next(
            (rule for rule in self.rules if path.startswith(rule.path_prefix)), self.default
        )


def _unauthorized(rule: BodyRule, method: str, headers: Headers) -> JSONResponse | None:
    if rule.bearer is None or method not in rule.methods:
        return None
    scheme, _, token = headers.get("authorization", "").partition(" ")
    expected = rule.bearer()
    if scheme.lower() == "bearer" and secrets.compare_digest(token.encode(), expected.encode()):
        return None
    return JSONResponse(
        error_body("unauthorized", "a valid bearer token is required"),
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _declared_too_large(rule: BodyRule, headers: Headers) -> JSONResponse | None:
    declared = headers.get("content-length")
    if declared is None:
        return None
    if not declared.isdigit():
        return JSONResponse(
            error_body("invalid_request", "Content-Length is not a length"), status_code=400
        )
    return _too_large(rule) if int(declared) > rule.max_bytes else None


def _too_large(rule: BodyRule) -> JSONResponse:
    return JSONResponse(
        error_body("too_large", f"the request body may be at most {rule.max_bytes} bytes"),
        status_code=413,
    )


async def _read_up_to(max_bytes: int, receive: Receive) -> bytes | None:
    """The whole body, or None once it grows past `max_bytes` (the rest left unread)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _ClientGoneError
        body += message.get("body", b"")
        if len(body) > max_bytes:
            return None
        if not message.get("more_body", False):
            return bytes(body)


class _ClientGoneError(Exception):
    """The client disconnected before its body was whole."""


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # a disconnect, when it comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
