"""The line in front of SIAK: cut, connections are refused; mended, they reach the server."""

from __future__ import annotations

import asyncio

import pytest

from chaos.tcp_line import TcpLine
from tests.conftest import free_port


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(await reader.readline())
    await writer.drain()
    writer.close()


async def say(port: int, line: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(line)
    await writer.drain()
    try:
        return await reader.readline()
    finally:
        writer.close()


async def test_a_cut_line_refuses_connections_and_a_mended_one_forwards_again() -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    line = TcpLine(free_port(), server.sockets[0].getsockname()[1])
    async with server, line.serving():
        assert await say(line.port, b"before\n") == b"before\n"
        await line.cut()
        with pytest.raises(ConnectionRefusedError):
            await say(line.port, b"while cut\n")
        await line.mend()
        assert await say(line.port, b"after\n") == b"after\n"
