"""Loopback TCP forwarders that make a server seem down (and back), or stalled, to its clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from chaos.tcp_line import forward


class TcpProxy:
    """Forwards connections to `host:port`; while `down`, it drops the ones it holds and
    closes every new one at once, as a server that went away, noting when in `refusals`."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.down = False
        self.refusals: list[float] = []
        """The event loop's time of each connection closed while down."""
        self._open: set[asyncio.StreamWriter] = set()

    async def _handle(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        if self.down:
            self.refusals.append(asyncio.get_running_loop().time())
            client.close()
            return
        await forward(client_in, client, (self.host, self.port), self._open)

    def go_down(self) -> None:
        self.down = True
        for writer in list(self._open):
            writer.close()

    def come_back(self) -> None:
        self.down = False

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[int]:
        """Listen on a free loopback port until the block ends; yields the port."""
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            self.go_down()
            server.close()


class HeldReplies:
    """A loopback TCP forwarder to PostgreSQL which, once armed, forwards the client's next
    `after` writes and then holds the server's replies until released: the client waits for
    a round trip the server has already made, as over a stalled network."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.holding = asyncio.Event()
        """Set once a reply is held."""
        self._countdown: int | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()

    def arm(self, *, after: int) -> None:
        self._countdown = after
        self.holding.clear()

    def release(self) -> None:
        self._countdown = None
        self._flowing.set()

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[int]:
        server = await asyncio.start_server(self._forward, "127.0.0.1", 0)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            self.release()
            server.close()

    async def _forward(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        server_in, server = await asyncio.open_connection(*self.target)
        with contextlib.suppress(ConnectionError):
            await asyncio.gather(
                self._requests(client_in, server), self._replies(server_in, client)
            )
        client.close()
        server.close()

    async def _requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if self._countdown is not None:
                self._countdown -= 1
                if self._countdown == 0:
                    self._flowing.clear()  # before the request goes: its reply is held
            writer.write(data)
            await writer.drain()
        writer.close()

    async def _replies(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if not self._flowing.is_set():
                self.holding.set()
                await self._flowing.wait()
            writer.write(data)
            await writer.drain()
        writer.close()
