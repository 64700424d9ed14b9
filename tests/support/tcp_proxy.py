"""A loopback TCP forwarder that can make a server seem down (and back) to its clients."""

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
