"""Bench programs run as processes of their own (`python -m bench.<name>`, or a built
executable), bounded in time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from bench.config import REPO_ROOT


class ChildFailedError(RuntimeError):
    """A bench process exited badly, printed no result, or outlived its time."""


class Child:
    def __init__(
        self,
        module: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        executable: str | None = None,
    ) -> None:
        """Runs `python -m module args`, or `executable args` (named `module` in errors)."""
        self.module = module
        self.args = list(args)
        self.argv = [executable] if executable else [sys.executable, "-m", module]
        self.env = {**os.environ, **env}
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    async def start(self) -> Child:
        self._process = await asyncio.create_subprocess_exec(
            *self.argv,
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        return self

    async def result(self, *, timeout_s: float) -> dict[str, Any]:
        """The JSON object the process printed last, once it has exited."""
        assert self._process is not None, "not started"
        try:
            out, err = await asyncio.wait_for(self._process.communicate(), timeout_s)
        except TimeoutError:
            await self.kill()
            raise ChildFailedError(
                f"{self.module} did not finish within {timeout_s:.0f} s"
            ) from None
        lines = out.decode().strip().splitlines()
        if self._process.returncode != 0 or not lines:
            tail = err.decode(errors="replace")[-1500:]
            raise ChildFailedError(f"{self.module} exited with {self._process.returncode}: {tail}")
        parsed: dict[str, Any] = json.loads(lines[-1])
        return parsed

    async def kill(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        await self._process.wait()


async def run_child(
    module: str, args: Sequence[str], *, env: Mapping[str, str], timeout_s: float
) -> dict[str, Any]:
    child = await Child(module, args, env=env).start()
    try:
        return await child.result(timeout_s=timeout_s)
    finally:
        await child.kill()
