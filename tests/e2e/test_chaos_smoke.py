"""`make chaos` in small, inside `make test`: queue_gate killed -9 mid-intake under load."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from chaos.harness import FAST, Harness, Regions, Scenario
from chaos.scenarios import kill_gate_during_intake
from chaos.suite import Suite
from deploy.local.processes import StartError
from deploy.local.stack import Stack, StackSettings
from tests.conftest import Infrastructure, free_port

pytestmark = pytest.mark.e2e

# Regions no other end-to-end test watches: the broker is shared with them.
REGIONS = Regions(up=("74.71",), down=("74.01",), flapping="74.72")
RESTART_SOON = {"GATE_KAFKA_START_GRACE_S": "1", "GATE_KAFKA_SESSION_TIMEOUT_S": "6"}
"""A gate killed -9 comes back with its consumer group still holding the dead member until
its session times out (10 s by default; 6 s here, the broker's least), and start-up waits for
the consumers up to this grace (10 s by default): each restart took 10 s. Past the grace the
gate serves intake and joins the group when the broker lets it, as it would with Kafka down;
the client's retries go on meanwhile, and dispatch waits for the group."""


async def create_database(url: str, name: str) -> str:
    base = url.rpartition("/")[0]
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{base}/{name}"


@pytest.fixture
async def chaos_stack(infrastructure: Infrastructure) -> AsyncIterator[Stack]:
    stack = Stack(
        StackSettings(
            state_dir=infrastructure.state_dir / "chaos",
            siak_sim_port=free_port(),
            monitor_port=free_port(),
            gate_port=free_port(),
            watch=",".join(REGIONS.all),
            external_kafka=infrastructure.bootstrap_servers,
            external_database=await create_database(infrastructure.database_url, "chaos"),
            extra_env={**FAST, "GATE_CONSUMER_GROUP": "queue-gate-chaos", **RESTART_SOON},
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


async def test_a_gate_killed_mid_intake_loses_duplicates_and_reorders_nothing(
    chaos_stack: Stack, tmp_path: Path
) -> None:
    scenario = Scenario(2, "kill -9 queue_gate mid-intake", kill_gate_during_intake(2), load_s=2)
    async with httpx.AsyncClient(timeout=10) as http:
        suite = Suite(Harness(chaos_stack, http, REGIONS), tmp_path)
        outcome = await suite.run(scenario)
    verdict = outcome.verdict
    assert outcome.error is None
    assert outcome.recovered_s is not None, "not every acknowledged submission reached SIAK"
    assert verdict.acknowledged > 0 and verdict.retried > 0, "the kills did not hit the client"
    assert verdict.failures() == {}
