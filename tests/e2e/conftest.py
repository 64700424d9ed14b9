"""The whole system as separate processes: simulator, siak_monitor and queue_gate."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from deploy.local.processes import StartError
from deploy.local.stack import Stack, StackSettings
from tests.conftest import Infrastructure, free_port

pytestmark = pytest.mark.e2e

FAST_PROBING = {
    "MONITOR_PROBE_INTERVAL_S": "0.2",
    "MONITOR_PROBE_JITTER_S": "0.05",
    "MONITOR_FAILURE_THRESHOLD": "2",
    "MONITOR_SUCCESS_THRESHOLD": "2",
    "MONITOR_HEARTBEAT_PERIOD_S": "1",
}


async def _create_database(url: str, name: str) -> str:
    base = url.rpartition("/")[0]
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{base}/{name}"


# Module-scoped: its queue_gate consumes the shared broker's status topic and publishes gate
# events there, so it must be gone before later tests read that topic as their own gate's.
@pytest.fixture(scope="module")
async def system(infrastructure: Infrastructure) -> AsyncIterator[Stack]:
    database_url = await _create_database(infrastructure.database_url, "e2e")
    stack = Stack(
        StackSettings(
            state_dir=infrastructure.state_dir / "e2e",
            siak_sim_port=free_port(),
            monitor_port=free_port(),
            gate_port=free_port(),
            external_kafka=infrastructure.bootstrap_servers,
            external_database=database_url,
            extra_env=FAST_PROBING,
        )
    )
    try:
        stack.up()
    except StartError as error:
        stack.down()
        pytest.fail(f"the system could not start: {error}", pytrace=False)
    try:
        yield stack
    finally:
        stack.down()
