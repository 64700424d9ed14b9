"""`python -m bench.recording_sim`: the SIAK simulator, unchanged, noting when each region's
health is asked for, so probe intervals can be judged from SIAK's side."""

from __future__ import annotations

import os
import time
from collections import defaultdict

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from services.siak_sim.app import create_app

_HEALTH_PREFIX, _HEALTH_SUFFIX = "/regions/", "/health"
ARRIVALS_PATH = "/_bench/health-arrivals"


class HealthArrivals:
    """ASGI wrapper: records the monotonic arrival time of every region health request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(_HEALTH_PREFIX) and path.endswith(_HEALTH_SUFFIX):
                region = path[len(_HEALTH_PREFIX) : -len(_HEALTH_SUFFIX)]
                self.arrivals[region].append(time.monotonic())
        await self.app(scope, receive, send)


def create_recording_app() -> HealthArrivals:
    simulator = create_app()
    recorder = HealthArrivals(simulator)

    @simulator.get(ARRIVALS_PATH, include_in_schema=False)
    async def arrivals() -> dict[str, list[float]]:
        return dict(recorder.arrivals)

    @simulator.post(f"{ARRIVALS_PATH}/reset", include_in_schema=False)
    async def reset_arrivals() -> dict[str, str]:
        recorder.arrivals.clear()
        return {"status": "reset"}

    return recorder


def main() -> None:
    port = int(os.environ.get("SIAK_SIM_PORT", "8090"))
    uvicorn.run(create_recording_app(), host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
