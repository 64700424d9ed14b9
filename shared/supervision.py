"""Background work that cannot end unnoticed: each task restarted with capped back-off.

Both services run their long-lived loops (probes, publishers, relays, consumers) under a
`Supervisor`. A task that raises, or returns although it should run until stopped, is logged,
counted and started again after a back-off that doubles up to a cap. Once a task has run for
longer than the cap without failing, it counts as healthy again and its back-off starts small.
A task failing for longer than `unhealthy_after_s` is named by `failing()`, which both
services show in `/readyz`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# 2 ** 1024 is no float: beyond this exponent any back-off is at its cap anyway.
_LARGEST_EXPONENT = sys.float_info.max_exp - 1

TaskFactory = Callable[[], Awaitable[None]]
FailureHook = Callable[[str], None]
Pause = Callable[[float], Awaitable[None]]


def where_it_failed(error: BaseException) -> str:
    """The frames `error` came through, for a log line, without its message: a database error
    quotes the values it refused, which may be a payload, SIAK's text or personal data."""
    return "".join(traceback.format_tb(error.__traceback__))


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 0.5
    max_s: float = 30.0

    def after(self, failures_in_a_row: int) -> float:
        exponent = min(_LARGEST_EXPONENT, max(0, failures_in_a_row - 1))
        return float(min(self.max_s, self.initial_s * 2.0**exponent))


@dataclass
class TaskHealth:
    """What the supervisor knows of one task."""

    name: str
    restarts: int = 0
    running_since: float | None = None
    failing_since: float | None = None
    """When the current run of failures began; None while healthy."""
    last_error: str | None = None

    def failing_for(self, now: float, healthy_after_s: float) -> float:
        if self.failing_since is None:
            return 0.0
        if self.running_since is not None and now - self.running_since > healthy_after_s:
            return 0.0
        return now - self.failing_since


@dataclass
class Supervisor:
    """Runs named tasks until `stop()`; see the module's docstring."""

    backoff: Backoff = field(default_factory=Backoff)
    unhealthy_after_s: float = 30.0
    on_failure: FailureHook | None = None
    """Called with the task's name on each failure (a metric counts them)."""
    health: dict[str, TaskHealth] = field(default_factory=dict)
    pause: Pause = asyncio.sleep
    """Waits out a back-off; tests pass one that does not wait."""
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self, name: str, run: TaskFactory) -> None:
        """Run `run()` as the task `name`, again and again until stopped."""
        if name in self.health:
            raise ValueError(f"a task named {name!r} is already supervised")
        self.health[name] = TaskHealth(name)
        self._tasks.append(asyncio.create_task(self._keep_running(name, run), name=name))

    def failing(self) -> list[str]:
        """The tasks that have been failing for longer than `unhealthy_after_s`."""
        now = asyncio.get_running_loop().time()
        return sorted(
            task.name
            for task in self.health.values()
            if task.failing_for(now, self.backoff.max_s) > self.unhealthy_after_s
        )

    def report(self) -> dict[str, dict[str, object]]:
        """Each task's state, for `/readyz` detail."""
        failing = set(self.failing())
        return {
            task.name: {
                "running": task.running_since is not None,
                "restarts": task.restarts,
                "failing": task.name in failing,
                "last_error": task.last_error,
            }
            for task in self.health.values()
        }

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def _report_failure(self, name: str) -> None:
        # A broken metric must not end the supervision it reports on.
        if self.on_failure is None:
            return
        try:
            self.on_failure(name)
        except Exception as error:
            log.error("on_failure hook for task %r failed with %s", name, type(error).__name__)

    async def _keep_running(self, name: str, run: TaskFactory) -> None:
        health = self.health[name]
        loop = asyncio.get_running_loop()
        failures_in_a_row = 0
        while True:
            started = health.running_since = loop.time()
            try:
                await run()
            except asyncio.CancelledError:
                health.running_since = None
                raise
            except Exception as error:
                # The type only: a message may quote a payload.
                health.last_error = type(error).__name__
                log.error(
                    "background task %r failed with %s; restarting it\n%s",
                    name,
                    health.last_error,
                    where_it_failed(error),
                )
            else:
                health.last_error = "returned"
                log.error("background task %r returned although it should run; restarting", name)
            now = loop.time()
            health.running_since = None
            health.restarts += 1
            if now - started > self.backoff.max_s or health.failing_since is None:
                failures_in_a_row = 0
                health.failing_since = now
            failures_in_a_row += 1
            self._report_failure(name)
            await self.pause(self.backoff.after(failures_in_a_row))
