"""`python -m tests.support.tiny_gate_workers PORT`: a stand-in app with no database or Kafka,
served by the gate's own `services.queue_gate.workers.serve` with two workers, as
`python -m services.queue_gate` serves the gate with GATE_WORKERS=2. Each answer is the pid of
the worker that served it.

Knobs (environment): TINY_CRASH_AFTER_S, a worker dies that long after its start-up;
TINY_SPAWNS, the parent fails (EAGAIN) to start more workers than that; TINY_START_FAILS_WHILE,
a worker's start-up (its lifespan) fails while that file exists, as the gate's does while
PostgreSQL is away. Paths: `/block`
blocks the worker's event loop, `/slow` touches the file TINY_SLOW_MARK and waits for ever
without blocking it, `/metrics` answers as the gate's does, every other path counts one
answer of its worker's (`queue_gate_task_restarts_total{task="tiny-<pid>"}`)."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

import uvicorn

from services.queue_gate import workers
from services.queue_gate.adapters import prometheus_metrics

Message = dict[str, Any]


async def app(scope: Message, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                fails_while = os.environ.get("TINY_START_FAILS_WHILE")
                if fails_while and Path(fails_while).exists():  # noqa: ASYNC240 (a test's flag)
                    await send({"type": "lifespan.startup.failed", "message": "flagged"})
                    return
                crash_after = os.environ.get("TINY_CRASH_AFTER_S")
                if crash_after:
                    threading.Timer(float(crash_after), lambda: os._exit(1)).start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["path"] == "/block":
        threading.Event().wait()  # never set: the event loop is stuck for good
    if scope["path"] == "/slow":
        Path(os.environ["TINY_SLOW_MARK"]).touch()  # noqa: ASYNC240 (in flight: tell the test)
        await asyncio.Event().wait()  # never set: in flight until the connection goes
    if scope["path"] == "/metrics":
        body = prometheus_metrics.exposition()
    else:
        prometheus_metrics.TASK_RESTARTS.labels(f"tiny-{os.getpid()}").inc()
        body = str(os.getpid()).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def factory() -> Any:
    return app


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    spawns = int(os.environ.get("TINY_SPAWNS", "0"))
    if spawns:
        started = workers._started

        def failing_after(config: uvicorn.Config) -> Any:
            nonlocal spawns
            spawns -= 1
            if spawns < 0:
                raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
            return started(config)

        workers._started = failing_after
    config = uvicorn.Config(
        "tests.support.tiny_gate_workers:factory",
        factory=True,
        workers=2,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="info",
        access_log=False,
    )
    return workers.serve(config, 2)


if __name__ == "__main__":
    sys.exit(main())
