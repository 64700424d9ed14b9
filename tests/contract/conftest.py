"""Each contract case runs twice: on the unit tests' fakes and on the PostgreSQL adapters.

The PostgreSQL half shares one migrated database and pool for the whole session (a database
per case would cost more than the cases); cases keep apart by taking regions, keys and
monitor ids no other case uses.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.client_key_store import PostgresClientKeyStore
from services.queue_gate.adapters.postgres.dispatch_leases import AdvisoryDispatchLeases
from services.queue_gate.adapters.postgres.misconfiguration_flags import (
    PostgresMisconfigurationFlags,
)
from services.queue_gate.adapters.postgres.region_control_store import (
    PostgresRegionControlStore,
)
from services.queue_gate.adapters.postgres.region_status_store import (
    PostgresGateAnnouncer,
    PostgresRegionStatusStore,
)
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.ports import (
    ClientKeyStore,
    DispatchLeases,
    GateAnnouncer,
    MisconfigurationFlags,
    RegionControlStore,
    RegionStatusStore,
    SubmissionStore,
)
from shared.regions import load_registry
from tests.conftest import Infrastructure
from tests.support.databases import fresh_database
from tests.unit.queue_gate.fakes import (
    FakeClientKeyStore,
    FakeGateAnnouncer,
    FakeLeases,
    FakeMisconfigurationFlags,
    FakeRegionControlStore,
    FakeRegionStatusStore,
    FakeSubmissionStore,
)

# Known regions (intake checks them), each taken by one case only.
_REGIONS = iter([region.code for region in load_registry()])


def take_regions(count: int) -> list[str]:
    return list(itertools.islice(_REGIONS, count))


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Stores:
    """One implementation of each port, all over the same data."""

    kind: str
    submissions: SubmissionStore
    statuses: RegionStatusStore
    controls: RegionControlStore
    client_keys: ClientKeyStore
    leases: DispatchLeases
    misconfigurations: MisconfigurationFlags
    replica: Callable[[], GateAnnouncer]
    """A gate announcer as another replica of the gate has it."""


class _WallClock:
    """Real time, as PostgreSQL's now(), so cases read times alike on both; each reading later
    than the one before, as two transactions' now() are."""

    def __init__(self) -> None:
        self._last = datetime.now(UTC)

    def __call__(self) -> datetime:
        self._last = max(datetime.now(UTC), self._last + timedelta(microseconds=1))
        return self._last


def _fakes() -> Stores:
    clock = _WallClock()
    announcer = FakeGateAnnouncer()  # one for all replicas: they share what was told
    controls = FakeRegionControlStore(clock)
    submissions = FakeSubmissionStore(clock)
    return Stores(
        kind="fake",
        submissions=submissions,
        statuses=FakeRegionStatusStore(clock, announcer, controls),
        controls=controls,
        client_keys=FakeClientKeyStore(clock),
        leases=FakeLeases(),
        misconfigurations=FakeMisconfigurationFlags(submissions),
        replica=lambda: announcer,
    )


@pytest.fixture(scope="session")
async def contract_database_url(infrastructure: Infrastructure) -> AsyncIterator[str]:
    async with fresh_database(infrastructure.database_url) as url:
        yield url


@pytest.fixture(scope="session")
async def contract_pool(contract_database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(contract_database_url, min_size=1, max_size=5) as created:
        yield created


def _postgres(pool: asyncpg.Pool, url: str) -> Stores:
    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(url)

    return Stores(
        kind="postgres",
        submissions=PostgresSubmissionStore(pool),
        statuses=PostgresRegionStatusStore(pool),
        controls=PostgresRegionControlStore(pool),
        client_keys=PostgresClientKeyStore(pool),
        leases=AdvisoryDispatchLeases(connect),
        misconfigurations=PostgresMisconfigurationFlags(pool),
        replica=lambda: PostgresGateAnnouncer(pool),
    )


@pytest.fixture(params=["fake", pytest.param("postgres", marks=pytest.mark.integration)])
def stores(request: pytest.FixtureRequest) -> Stores:
    if request.param == "fake":
        return _fakes()
    # Asked for only here, so the fakes' half starts no database server.
    pool: asyncpg.Pool = request.getfixturevalue("contract_pool")
    url: str = request.getfixturevalue("contract_database_url")
    return _postgres(pool, url)
