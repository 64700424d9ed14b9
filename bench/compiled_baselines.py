"""The monitor's compiled baselines: a Go net/http probe loop built from `bench/baselines/goprobe`,
and Gatus built from its Go module at a pinned version; each skipped, with the reason, when it
cannot be built here."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.config import REPO_ROOT

GOPROBE_SOURCE = REPO_ROOT / "bench" / "baselines" / "goprobe"
BUILD_DIR = REPO_ROOT / ".cache" / "bench-go"
GATUS_MODULE = "github.com/TwiN/gatus/v5"
GATUS_VERSION = "v5.35.0"
BUILD_TIMEOUT_S = 300.0
GOPROBE = "Go net/http probe loop"
GATUS = f"Gatus {GATUS_VERSION}"


@dataclass(frozen=True)
class Build:
    """An executable, or why there is none."""

    name: str
    executable: Path | None = None
    skipped: str | None = None


async def build_goprobe() -> Build:
    output = BUILD_DIR / "goprobe"
    failure = await _go(["build", "-o", str(output), "."], cwd=GOPROBE_SOURCE)
    return Build(GOPROBE, skipped=failure) if failure else Build(GOPROBE, output)


async def build_gatus() -> Build:
    bin_dir = BUILD_DIR / f"gatus-{GATUS_VERSION}"
    executable = bin_dir / "gatus"
    if executable.exists():
        return Build(GATUS, executable)
    failure = await _go(
        ["install", f"{GATUS_MODULE}@{GATUS_VERSION}"], cwd=BUILD_DIR, env={"GOBIN": str(bin_dir)}
    )
    return Build(GATUS, skipped=failure) if failure else Build(GATUS, executable)


async def _go(args: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str | None:
    """Runs `go args`; None when it succeeded, else why it did not, in one line."""
    go = shutil.which("go")
    if go is None:
        return "Go is not installed here (no `go` on PATH)"
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    go_env = {
        **os.environ,
        # The toolchain installed, never one downloaded; caches kept beside the bench's others.
        "GOTOOLCHAIN": "local",
        "GOCACHE": str(BUILD_DIR / "cache"),
        "GOPATH": str(BUILD_DIR / "gopath"),
        **(env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        go,
        *args,
        cwd=cwd,
        env=go_env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), BUILD_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        return f"`go {args[0]}` did not finish within {BUILD_TIMEOUT_S:.0f} s"
    if process.returncode == 0:
        return None
    return f"`go {' '.join(args)}` failed: {_last_words(err.decode(errors='replace'))}"


def _last_words(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return " / ".join(lines[-2:])[-400:] or "no message"


def gatus_config(url_template: str, regions: list[str], *, interval_s: float, port: int) -> str:
    """Gatus watching every region as siak_monitor does: the same URL, interval and timeout,
    healthy on 200, results kept in memory."""
    lines = [
        "storage:",
        "  type: memory",
        "metrics: false",
        "concurrency: 64",
        "web:",
        "  address: 127.0.0.1",
        f"  port: {port}",
        "endpoints:",
    ]
    for code in regions:
        lines += [
            f'  - name: "{code}"',
            f'    url: "{url_template.format(region=code)}"',
            f"    interval: {interval_s:g}s",
            "    client:",
            "      timeout: 3s",
            "    conditions:",
            '      - "[STATUS] == 200"',
        ]
    return "\n".join(lines) + "\n"
