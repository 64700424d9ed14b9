"""A minimal HTTP/1.1 GET client for health checks, keeping connections alive per origin."""

from __future__ import annotations

import array
import asyncio
import fcntl
import functools
import re
import ssl
import termios
import time
from collections import defaultdict
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

MAX_HEAD_BYTES = 16 * 1024
"""An answer's status line and headers together; a longer head is a protocol error."""
_MAX_LENGTH_DIGITS = 18
_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]{1,16}")


class HttpError(Exception):
    """The exchange failed; `kind` names how, short enough for a metric label."""

    kind = "http_error"


class ConnectError(HttpError):
    kind = "connection_refused"


class TlsError(HttpError):
    """The TLS handshake failed: a certificate not trusted or not for this host, or no
    protocol or cipher in common. Told apart from a refusal: SIAK is there, its TLS is not."""

    kind = "tls_error"


class ProtocolError(HttpError):
    """The server closed without answering, or answered something that is not HTTP/1.x."""

    # The names httpx gave these failures, so metrics and events keep their kinds.
    kind = "remoteprotocolerror"


class ReadError(HttpError):
    kind = "readerror"


class _NoAnswerError(Exception):
    """The connection ended before a byte of the answer: a kept-alive connection the server
    closed while it was idle, which is worth one more try on a new connection."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    """At most the `body_limit` asked for; the rest of a longer body is never read."""
    head_at: float
    """`time.perf_counter()` when the status line and headers had arrived."""


@dataclass(frozen=True, slots=True)
class _Origin:
    host: str
    port: int
    tls: bool


@dataclass(frozen=True, slots=True)
class _Head:
    status: int
    content_length: int | None
    chunked: bool
    keep_alive: bool


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        """Open, and nothing came since its last answer was read to the end: bytes a server
        sends unasked would be taken for the next answer."""
        return not (self.writer.is_closing() or self.reader.at_eof() or self._unread())

    def _unread(self) -> bool:
        # StreamReader says nowhere how much it holds unread: its buffer is the one place to
        # look. Bytes the event loop has not taken from the socket yet are in the kernel's.
        buffered: bytearray = self.reader._buffer  # type: ignore[attr-defined]
        if buffered:
            return True
        sock = self.writer.get_extra_info("socket")
        if sock is None:
            return False
        waiting = array.array("i", [0])
        try:
            fcntl.ioctl(sock.fileno(), termios.FIONREAD, waiting)
        except OSError:
            return True  # a socket that cannot be asked is not worth keeping
        return waiting[0] > 0

    def close(self) -> None:
        self.writer.close()


class Http1Client:
    """GETs over HTTP/1.1, reusing up to `max_idle_per_origin` idle connections per origin.

    No proxies, redirects or authentication: a health check needs none. Timeouts are the
    caller's (`asyncio.timeout`); a cancelled request closes its connection.
    """

    def __init__(self, *, max_idle_per_origin: int, tls: ssl.SSLContext | None = None) -> None:
        self.max_idle_per_origin = max_idle_per_origin
        self.connections_opened = 0
        self._tls = tls
        self._idle: defaultdict[_Origin, list[_Connection]] = defaultdict(list)
        self._closed = False

    async def __aenter__(self) -> Http1Client:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
            idle.clear()

    async def get(self, url: str, *, body_limit: int) -> Answer:
        """The answer's status and the first `body_limit` bytes of its body; raises
        `HttpError`. Bodies up to the limit are read whole so the connection can be kept."""
        origin, request = _request_for(url)
        idle = self._idle[origin]
        while idle:
            connection = idle.pop()
            if not connection.usable():
                connection.close()
                continue
            try:
                return await self._exchange(origin, connection, request, body_limit)
            except _NoAnswerError:
                break
        connection = await self._connect(origin)
        try:
            return await self._exchange(origin, connection, request, body_limit)
        except _NoAnswerError:
            raise ProtocolError("closed without answering") from None

    async def _connect(self, origin: _Origin) -> _Connection:
        tls = None
        if origin.tls:
            tls = self._tls or _default_tls()
        try:
            reader, writer = await asyncio.open_connection(
                origin.host, origin.port, ssl=tls, limit=MAX_HEAD_BYTES
            )
        except ssl.SSLError as error:
            raise TlsError(type(error).__name__) from None
        except OSError as error:
            raise ConnectError(type(error).__name__) from None
        self.connections_opened += 1
        return _Connection(reader, writer)

    async def _exchange(
        self, origin: _Origin, connection: _Connection, request: bytes, body_limit: int
    ) -> Answer:
        keep = False
        try:
            reader = connection.reader
            try:
                connection.writer.write(request)
                head = await _read_head(reader)
            except asyncio.IncompleteReadError as error:
                if error.partial:
                    raise ProtocolError("head cut short") from None
                raise _NoAnswerError from None
            except ConnectionError:
                raise _NoAnswerError from None
            except OSError as error:
                raise ReadError(type(error).__name__) from None
            head_at = time.perf_counter()
            try:
                body, whole = await _read_body(reader, head, body_limit)
            except (asyncio.IncompleteReadError, OSError) as error:
                raise ReadError(type(error).__name__) from None
            keep = whole and head.keep_alive and connection.usable()
            return Answer(head.status, body, head_at)
        finally:
            idle = self._idle[origin]
            if keep and not self._closed and len(idle) < self.max_idle_per_origin:
                idle.append(connection)
            else:
                connection.close()


async def _read_head(reader: asyncio.StreamReader) -> _Head:
    while True:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            raise ProtocolError("head too long") from None
        head = _parse_head(raw)
        # An interim answer (100 Continue, 103 Early Hints) precedes the real one.
        if not 100 <= head.status < 200 or head.status == 101:
            return head


def _parse_head(raw: bytes) -> _Head:
    lines = raw[:-4].split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise ProtocolError("not an HTTP/1.x status line")
    code = parts[1]
    if len(code) != 3 or not code.isdigit():
        raise ProtocolError("bad status code")
    http_1_1 = parts[0] == b"HTTP/1.1"
    keep_alive = http_1_1
    lengths: set[bytes] = set()
    codings: list[bytes] | None = None
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise ProtocolError("bad header line")
        name, value = name.lower(), value.strip().lower()
        if name == b"content-length":
            lengths.add(value)
        elif name == b"transfer-encoding":
            codings = (codings or []) + [c.strip() for c in value.split(b",") if c.strip()]
        elif name == b"connection":
            tokens = {token.strip() for token in value.split(b",")}
            keep_alive = b"keep-alive" in tokens or (keep_alive and b"close" not in tokens)
    if codings is None:
        return _Head(int(code), _content_length(lengths), False, keep_alive)
    # RFC 9112 6.1, 6.3: the codings frame the body, whatever Content-Length says (the body
    # lasts until the connection ends unless the last one is chunked). An answer framed both
    # ways, or with codings in HTTP/1.0, may be smuggling another behind it: not kept.
    chunked = codings[-1:] == [b"chunked"]
    return _Head(int(code), None, chunked, keep_alive and http_1_1 and not lengths)


def _content_length(values: set[bytes]) -> int | None:
    if not values:
        return None
    value = values.pop()
    # Digits only, and few enough for int(): Python refuses to convert thousands of them.
    if values or not value.isdigit() or len(value) > _MAX_LENGTH_DIGITS:
        raise ProtocolError("bad content-length")
    return int(value)


async def _read_body(reader: asyncio.StreamReader, head: _Head, limit: int) -> tuple[bytes, bool]:
    """The body's first `limit` bytes, and whether the body was read to its end."""
    if head.status in (204, 304) or head.status == 101:
        return b"", head.status != 101
    if head.chunked:
        return await _read_chunked(reader, limit)
    if head.content_length is not None:
        wanted = min(head.content_length, limit)
        return await reader.readexactly(wanted), wanted == head.content_length
    # Neither length nor chunks: the body ends when the connection does.
    body = await reader.read(limit)
    while body and len(body) < limit:
        more = await reader.read(limit - len(body))
        if not more:
            break
        body += more
    return body, False


async def _read_chunked(reader: asyncio.StreamReader, limit: int) -> tuple[bytes, bool]:
    body = b""
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError:
            raise ProtocolError("chunk size line too long") from None
        size_text = line.split(b";", 1)[0].strip()
        # Hex digits only: int(text, 16) would also take "0x1a", "1_a" and "+1".
        if not _HEX_DIGITS.fullmatch(size_text):
            raise ProtocolError("bad chunk size")
        size = int(size_text, 16)
        if size == 0:
            try:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers, unread
            except asyncio.LimitOverrunError:
                raise ProtocolError("trailer line too long") from None
            return body, True
        wanted = min(size, limit - len(body))
        body += await reader.readexactly(wanted)
        if wanted < size:
            return body, False
        if await reader.readexactly(2) != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")


@functools.lru_cache(maxsize=4096)
def _request_for(url: str) -> tuple[_Origin, bytes]:
    """The origin to connect to and the request's bytes; the same few URLs are asked for
    again and again, so both are worked out once."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    authority = parts.netloc.rpartition("@")[2]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {authority}\r\n"
        "User-Agent: siak-monitor\r\nAccept: */*\r\n\r\n"
    ).encode("ascii")
    return _Origin(parts.hostname, port, tls), request


@functools.cache
def _default_tls() -> ssl.SSLContext:
    return ssl.create_default_context()
