"""Test-wide fixtures: the real Kafka broker and PostgreSQL the integration tiers run against.

Where `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` are set, those are used and nothing is
started. Otherwise a broker and a database server are started for the session under
`.run/test/<pid>/`, from a clean state, stopped and removed at the end (so suites run side by
side do not share a broker's files). If either cannot start, every test
that needs it fails with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.local.processes import StartError
from deploy.local.python_service import REPO_ROOT
from deploy.local.stack import Stack, StackSettings
from tests.support.removal import remove_in_background

TEST_STATE_DIR = REPO_ROOT / ".run" / "test" / str(os.getpid())
QUICK_START_JVM = "-XX:TieredStopAtLevel=1"
"""For every JVM the tests start (Kafka brokers, Maven, the Java subscribers): they live seconds
to minutes, and on two busy cores the C2 compiler's threads slowed each start several times
over (a broker 18-37 s against 12 s, a Maven run of the SDK suite 43-53 s against 12-13 s).
The JIT level changes how fast, never what, the code does."""


@dataclass(frozen=True)
class Infrastructure:
    bootstrap_servers: str
    database_url: str
    state_dir: Path


def pytest_configure(config: pytest.Config) -> None:
    # JDK_JAVA_OPTIONS is read by every `java` launcher, the tests' children included; one the
    # caller set is kept as it is.
    os.environ.setdefault("JDK_JAVA_OPTIONS", QUICK_START_JVM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    shutil.rmtree(TEST_STATE_DIR, ignore_errors=True)
    settings = StackSettings(
        state_dir=TEST_STATE_DIR,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        postgres_port=free_port(),
        external_kafka=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None,
        external_database=os.environ.get("DATABASE_URL") or None,
    )
    stack = Stack(settings, with_services=False)
    try:
        stack.up()
    except StartError as error:
        stack.down()
        pytest.fail(f"Kafka or PostgreSQL could not start: {error}", pytrace=False)
    try:
        yield Infrastructure(stack.bootstrap_servers, stack.database_url, TEST_STATE_DIR)
    finally:
        stack.down()
        remove_in_background(TEST_STATE_DIR)
