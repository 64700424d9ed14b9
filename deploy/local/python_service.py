"""A SIAK Gate Python service (simulator, monitor, gate) run as `python -m services.<name>`."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx

from deploy.local import processes
from deploy.local.component import Component, Paths

REPO_ROOT = Path(__file__).resolve().parents[2]


class PythonService(Component):
    start_timeout = 60.0

    def __init__(
        self,
        paths: Paths,
        *,
        name: str,
        module: str,
        port: int,
        ready_path: str,
        env: Mapping[str, str],
        listeners: int = 1,
    ) -> None:
        super().__init__(paths)
        self.name = name
        self.module = module
        self.port = port
        self.ready_path = ready_path
        self.env = dict(env)
        self.listeners = listeners
        """Sockets listening on `port` once every worker process serves (each binds its own)."""
        self.marker = f"-m {module}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        processes.spawn(
            [sys.executable, "-m", self.module],
            log_file=self.log_file,
            pid_file=self.pid_file,
            env={**os.environ, **self.env},
            cwd=REPO_ROOT,
        )

    def is_ready(self) -> bool:
        try:
            answered = httpx.get(self.url + self.ready_path, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False
        return answered and processes.listening_sockets(self.port) >= self.listeners
