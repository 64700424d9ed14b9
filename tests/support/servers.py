"""Serving an ASGI app over real HTTP on a loopback port, inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from tests.conftest import free_port


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Run `app` on 127.0.0.1 until the block ends; yields its base URL.

    uvicorn's own steps, driven here rather than through `Server.serve`: the block starts as
    soon as startup returns, and ends without waiting for the main loop's next 0.1 s tick
    (hundreds of servers a run, polled for and then waited on, cost about 0.1 s each)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup()
    except SystemExit as failed:
        # uvicorn exits the process when the app's lifespan or the bind fails; here, the test.
        raise AssertionError(f"the app could not start (uvicorn status {failed.code})") from None
    # The main loop keeps the Date header current; it is cancelled, not awaited, at the end.
    ticking = asyncio.create_task(server.main_loop())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        ticking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticking
        await server.shutdown()
