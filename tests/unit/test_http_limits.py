"""`shared.http_limits.BodyLimit`: bodies refused unread when unwelcome or declared too large,
and read no further than the cap when their size is not declared."""

from __future__ import annotations

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from shared.http_limits import BodyLimit
from tests.support.asgi_calls import Upload, call

LIMIT = 64 * 1024
MEGABYTES_64 = str(64 * 1024 * 1024)


class Echo:
    """Answers with the size of the body it read."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await PlainTextResponse(str(size))(scope, receive, send)


def refuse_without_token(scope: Scope) -> Response | None:
    headers = dict(scope["headers"])
    if b"authorization" in headers:
        return None
    return JSONResponse({"detail": "who are you?"}, status_code=401)


async def test_an_unwelcome_request_is_refused_before_a_byte_of_its_body_is_read() -> None:
    app = Echo()
    upload = Upload.of(1024 * 1024)

    answer = await call(
        BodyLimit(app, max_bytes=LIMIT, admit=refuse_without_token),
        "POST",
        "/",
        upload,
        headers=[("content-length", str(1024 * 1024))],
    )

    assert (answer.status, upload.read, app.calls) == (401, 0, 0)


async def test_a_declared_size_over_the_limit_is_refused_unread() -> None:
    app = Echo()
    upload = Upload.of(1024 * 1024)

    answer = await call(
        BodyLimit(app, max_bytes=LIMIT), "PUT", "/", upload, [("content-length", MEGABYTES_64)]
    )

    assert (answer.status, upload.read, app.calls) == (413, 0, 0)


async def test_an_undeclared_size_is_read_no_further_than_the_limit() -> None:
    app = Echo()
    upload = Upload.of(1024 * 1024, chunk=4096)

    answer = await call(BodyLimit(app, max_bytes=LIMIT), "POST", "/", upload)

    assert (answer.status, app.calls) == (413, 0)
    assert LIMIT < upload.read <= LIMIT + 4096


async def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    app = Echo()

    chunked = await call(BodyLimit(app, max_bytes=LIMIT), "POST", "/", Upload.of(LIMIT, 1000))
    declared = await call(
        BodyLimit(app, max_bytes=LIMIT), "POST", "/", Upload.of(10), [("content-length", "10")]
    )

    assert (chunked.status, chunked.body) == (200, str(LIMIT).encode())
    assert (declared.status, declared.body) == (200, b"10")


async def test_a_content_length_that_is_no_length_is_refused() -> None:
    answer = await call(
        BodyLimit(Echo(), max_bytes=LIMIT), "POST", "/", Upload.of(10), [("content-length", "-1")]
    )

    assert answer.status == 400


async def test_each_request_may_have_a_cap_of_its_own() -> None:
    limit = BodyLimit(Echo(), max_bytes=lambda scope: 10 if scope["path"] == "/small" else LIMIT)

    small = await call(limit, "POST", "/small", Upload.of(11), [("content-length", "11")])
    large = await call(limit, "POST", "/large", Upload.of(11), [("content-length", "11")])

    assert (small.status, large.status) == (413, 200)


async def test_refusals_take_the_shape_the_app_gives_its_errors() -> None:
    def refusal(status_code: int, message: str) -> Response:
        return JSONResponse({"error": {"message": message}}, status_code=status_code)

    answer = await call(
        BodyLimit(Echo(), max_bytes=10, refusal=refusal),
        "POST",
        "/",
        Upload.of(11),
        [("content-length", "11")],
    )

    assert answer.status == 413
    assert b'"error"' in answer.body and b"at most 10 bytes" in answer.body
