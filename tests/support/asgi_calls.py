"""Calling an ASGI app directly, with a body whose every byte read is counted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message


@dataclass
class Upload:
    """A request body in chunks; `read` counts the bytes the app took."""

    chunks: list[bytes]
    read: int = 0

    @classmethod
    def of(cls, size: int, chunk: int = 16 * 1024) -> Upload:
        return cls([b"x" * min(chunk, size - start) for start in range(0, size, chunk)] or [b""])

    async def receive(self) -> Message:
        if not self.chunks:
            return {"type": "http.disconnect"}
        body = self.chunks.pop(0)
        self.read += len(body)
        return {"type": "http.request", "body": body, "more_body": bool(self.chunks)}


@dataclass
class Answer:
    messages: list[Message] = field(default_factory=list)

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        status: int = self.messages[0]["status"]
        return status

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


async def call(
    app: ASGIApp,
    method: str,
    path: str,
    upload: Upload,
    headers: Iterable[tuple[str, str]] = (),
) -> Answer:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 12345),
    }
    answer = Answer()
    await app(scope, upload.receive, answer.send)
    return answer
