"""A scripted HTTP server on loopback: answers each request with the bytes a test chooses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
from collections.abc import AsyncIterator, Callable

HANG = b"hang"
"""Answer nothing and keep the connection open."""
DROP = b"drop"
"""Close the connection without answering."""

CLOSE = b"<then close>"
"""At the end of an answer: close the connection once it is sent."""

Script = Callable[[int], bytes]
"""The n-th request's answer (counted from 0 over all connections), or HANG or DROP."""


def answer(body: bytes = b'{"state": "UP"}', status: str = "200 OK", *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class LoopbackSiak:
    def __init__(self, script: Script, tls: ssl.SSLContext | None) -> None:
        self.script = script
        self.scheme = "https" if tls else "http"
        self.connections = 0
        self.requests: list[bytes] = []
        self.closed_by_client = 0
        self.sent = 0
        self.port = 0
        self._release = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []

    def url(self, path: str = "/regions/73.71/health") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    async def send_unasked(self, data: bytes) -> None:
        """Send `data` on the latest connection, as a misbehaving server would between answers;
        once this returns, the bytes are in the client's receive queue (loopback)."""
        writer = self._writers[-1]
        writer.write(data)
        await writer.drain()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        try:
            while True:
                try:
                    request = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    self.closed_by_client += 1
                    return
                reply = self.script(len(self.requests))
                self.requests.append(request)
                if reply == DROP:
                    return
                if reply == HANG:
                    await self._release.wait()
                    return
                await self._send(writer, reply.removesuffix(CLOSE))
                if reply.endswith(CLOSE) or _closes(reply):
                    return
        except ConnectionError:
            self.closed_by_client += 1
        finally:
            writer.close()

    async def _send(self, writer: asyncio.StreamWriter, reply: bytes) -> None:
        # In pieces, so a client that stops reading stops the sending.
        for start in range(0, len(reply), 64 * 1024):
            writer.write(reply[start : start + 64 * 1024])
            await writer.drain()
            self.sent = start + len(reply[start : start + 64 * 1024])


def _closes(reply: bytes) -> bool:
    head = reply.partition(b"\r\n\r\n")[0].lower()
    http_1_0 = head.startswith(b"http/1.0") and b"keep-alive" not in head
    return http_1_0 or b"connection: close" in head


@contextlib.asynccontextmanager
async def loopback_siak(
    script: Script, *, tls: ssl.SSLContext | None = None
) -> AsyncIterator[LoopbackSiak]:
    """Over TLS with the server context `tls`, given one."""
    siak = LoopbackSiak(script, tls)
    server = await asyncio.start_server(siak._serve, "127.0.0.1", 0, ssl=tls)
    siak.port = server.sockets[0].getsockname()[1]
    try:
        yield siak
    finally:
        siak._release.set()
        server.close()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def sockets_connected_to(port: int) -> int:
    """This process's open TCP sockets whose peer is `port` on loopback: the client side of
    connections to a loopback server, whether or not anything was ever sent on them."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            with socket.socket(fileno=os.dup(int(name))) as sock:
                peer = sock.getpeername()
        except OSError:
            continue  # closed meanwhile, or not connected
        if isinstance(peer, tuple) and peer[:2] == ("127.0.0.1", port):
            count += 1
    return count
