"""The monitor checks the admin token before it reads a body, and refuses large bodies
before parsing them."""

from __future__ import annotations

import pytest

from tests.support.asgi_calls import Upload, call
from tests.unit.siak_monitor.fakes import FakeClock, ready_app, settings

MEGABYTES_64 = 64 * 1024 * 1024
ADMIN = ("authorization", "Bearer secret-token")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/maintenance"), ("PUT", "/v1/maintenance/mnt-1"), ("PATCH", "/v1/regions")],
)
@pytest.mark.parametrize("declared", [True, False])
async def test_a_huge_body_without_credentials_is_refused_401_unread(
    method: str, path: str, declared: bool
) -> None:
    app = ready_app(settings(), FakeClock())
    # Not 64 MB in memory here: the declared length says so, the chunks are never asked for.
    upload = Upload.of(4 * 1024 * 1024)
    length = [("content-length", str(MEGABYTES_64))] if declared else []

    answer = await call(app, method, path, upload, [*length, ("authorization", "Bearer wrong")])

    assert (answer.status, upload.read) == (401, 0)


async def test_an_admin_body_over_the_limit_is_refused_413_before_parsing() -> None:
    app = ready_app(settings(), FakeClock())
    monitor = app.state.monitor
    declared, chunked = Upload.of(1024 * 1024), Upload.of(1024 * 1024, chunk=4096)

    by_length = await call(
        app, "POST", "/v1/maintenance", declared, [ADMIN, ("content-length", str(1024 * 1024))]
    )
    by_reading = await call(app, "POST", "/v1/maintenance", chunked, [ADMIN])

    assert (by_length.status, declared.read) == (413, 0)
    assert by_reading.status == 413 and chunked.read <= 64 * 1024 + 4096
    assert monitor.outbox.queued() == []


async def test_the_limit_is_a_setting() -> None:
    app = ready_app(settings(max_body_bytes=2048), FakeClock())
    upload = Upload.of(4096)

    answer = await call(app, "POST", "/v1/maintenance", upload, [ADMIN])

    assert answer.status == 413
