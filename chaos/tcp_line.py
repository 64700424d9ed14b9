"""A loopback TCP line in front of a server: cut, it refuses connections; the server lives on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class TcpLine:
    """Forwards connections from `port` to `target_port`; `cut()` stops listening (new
    connections are refused, as by a server gone away) and drops the open ones, `mend()`
    listens again on the same port. The server behind keeps its state (SIAK's received log)."""

    def __init__(self, port: int, target_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.target_port = target_port
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def mend(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._forward, self.host, self.port, reuse_address=True
            )

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for writer in list(self._open):
            writer.close()

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[TcpLine]:
        await self.mend()
        try:
            yield self
        finally:
            await self.cut()

    async def _forward(self, client_in: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        try:
            await forward(client_in, client, (self.host, self.target_port), self._open)
        except OSError:
            client.close()  # the server itself is away: so is the line


async def forward(
    client_in: asyncio.StreamReader,
    client: asyncio.StreamWriter,
    target: tuple[str, int],
    open_writers: set[asyncio.StreamWriter],
) -> None:
    """Relay one client's connection to `target` both ways until either end closes; both
    ends are in `open_writers` meanwhile, for a cut to close them."""
    server_in, server = await asyncio.open_connection(*target)
    open_writers |= {client, server}
    try:
        await asyncio.gather(pump(client_in, server), pump(server_in, client))
    finally:
        open_writers -= {client, server}
        client.close()
        server.close()


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy `reader` into `writer` until either end closes."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()
