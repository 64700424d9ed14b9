"""The supervisor restarts a background task that fails or returns, and names those that keep
failing."""

from __future__ import annotations

import asyncio

import pytest

from shared.supervision import Backoff, Supervisor
from tests.support.polling import eventually

QUICK = Backoff(initial_s=0.01, max_s=0.05)


async def test_a_task_that_raises_is_restarted_and_counted() -> None:
    runs: list[int] = []
    failures: list[str] = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("boom")
        await asyncio.Event().wait()

    supervisor = Supervisor(backoff=QUICK, on_failure=failures.append)
    supervisor.start("flaky", flaky)
    try:
        await eventually(lambda: _async(len(runs) == 3), within=5, interval=0.01, what="3 runs")
        assert supervisor.health["flaky"].restarts == 2
        assert failures == ["flaky", "flaky"]
        assert supervisor.report()["flaky"]["running"] is True
        assert supervisor.report()["flaky"]["last_error"] == "RuntimeError"
    finally:
        await supervisor.stop()


async def test_a_task_that_returns_is_restarted_too() -> None:
    runs: list[int] = []

    async def ends() -> None:
        runs.append(1)

    supervisor = Supervisor(backoff=QUICK)
    supervisor.start("ends", ends)
    try:
        await eventually(lambda: _async(len(runs) >= 3), within=5, interval=0.01, what="restarts")
        assert supervisor.health["ends"].last_error == "returned"
    finally:
        await supervisor.stop()


async def test_a_task_failing_for_longer_than_the_threshold_is_named_as_failing() -> None:
    async def broken() -> None:
        raise ConnectionError("database away")

    async def fine() -> None:
        await asyncio.Event().wait()

    supervisor = Supervisor(backoff=QUICK, unhealthy_after_s=0.1)
    supervisor.start("broken", broken)
    supervisor.start("fine", fine)
    try:
        assert supervisor.failing() == []
        await eventually(
            lambda: _async(supervisor.failing() == ["broken"]), within=5, interval=0.01
        )
        assert supervisor.report()["fine"]["failing"] is False
    finally:
        await supervisor.stop()


async def test_a_task_that_recovered_is_no_longer_failing() -> None:
    healthy = asyncio.Event()

    async def recovers() -> None:
        if not healthy.is_set():
            raise ConnectionError("away")
        await asyncio.Event().wait()

    supervisor = Supervisor(backoff=QUICK, unhealthy_after_s=0.1)
    supervisor.start("recovers", recovers)
    try:
        await eventually(
            lambda: _async(supervisor.failing() == ["recovers"]), within=5, interval=0.01
        )
        healthy.set()
        await eventually(lambda: _async(supervisor.failing() == []), within=5, interval=0.01)
    finally:
        await supervisor.stop()


async def test_stop_cancels_every_task() -> None:
    supervisor = Supervisor(backoff=QUICK)
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def waits() -> None:
        try:
            started.set()
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    supervisor.start("waits", waits)
    async with asyncio.timeout(10):
        await started.wait()
    await supervisor.stop()
    assert cancelled.is_set()
    assert supervisor.report()["waits"]["running"] is False


def test_back_off_doubles_up_to_its_cap() -> None:
    backoff = Backoff(initial_s=0.5, max_s=4)
    assert [backoff.after(n) for n in range(1, 6)] == [0.5, 1, 2, 4, 4]


def test_back_off_stays_at_its_cap_however_many_failures() -> None:
    backoff = Backoff(initial_s=0.5, max_s=30)
    assert [backoff.after(n) for n in (1024, 1025, 10**6)] == [30, 30, 30]


async def test_a_task_failing_thousands_of_times_in_a_row_is_still_restarted() -> None:
    # A broker refusing connections at once fails a task every back-off: 5,000 failures is
    # about a day and a half at the cap.
    runs: list[int] = []
    pauses: list[float] = []

    async def refused() -> None:
        runs.append(1)
        raise ConnectionError("kafka down")

    async def no_wait(seconds: float) -> None:
        pauses.append(seconds)
        await asyncio.sleep(0)

    supervisor = Supervisor(pause=no_wait)
    supervisor.start("kafka", refused)
    try:
        await eventually(
            lambda: _async(len(runs) > 5000), within=30, interval=0.01, what="5,000 restarts"
        )
        assert max(pauses) == supervisor.backoff.max_s
    finally:
        await supervisor.stop()


async def test_a_failure_hook_that_raises_is_logged_and_the_task_still_restarted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []

    async def flaky() -> None:
        runs.append(1)
        raise ConnectionError("away")

    def broken_metric(name: str) -> None:
        raise ValueError("metric registry broken")

    supervisor = Supervisor(backoff=QUICK, on_failure=broken_metric)
    supervisor.start("flaky", flaky)
    try:
        await eventually(lambda: _async(len(runs) >= 3), within=5, interval=0.01, what="restarts")
    finally:
        await supervisor.stop()
    hook_failures = [r.getMessage() for r in caplog.records if "on_failure" in r.getMessage()]
    assert hook_failures and "'flaky'" in hook_failures[0] and "ValueError" in hook_failures[0]


async def _async(value: bool) -> bool:
    return value


async def test_a_failure_is_logged_by_type_and_place_never_by_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    nik = "3578011205900001"

    async def leaks() -> None:
        raise ValueError(f"invalid input for query argument $1: {nik!r}")

    supervisor = Supervisor(backoff=QUICK)
    supervisor.start("leaks", leaks)
    try:
        await eventually(
            lambda: _async(supervisor.health["leaks"].restarts > 0), within=5, interval=0.01
        )
    finally:
        await supervisor.stop()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ValueError" in logged and "in leaks" in logged
    assert nik not in logged
    assert all(record.exc_info is None for record in caplog.records)
