"""The monitor's compiled baselines: a Go net/http probe loop built from `bench/baselines/goprobe`,
and Gatus built from its Go module at a pinned version; each skipped, with the reason, when it
cannot be built here."""

from __future__ import annotations

import asyncio
import json
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
    built = await _go(["build", "-o", str(output), "."], cwd=GOPROBE_SOURCE)
    return (
        Build(GOPROBE, skipped=built.why)
        if isinstance(built, GoFailure)
        else Build(GOPROBE, output)
    )


async def build_gatus() -> Build:
    """Gatus from the Go module proxy at the pinned version. Downloaded, then built in its module
    directory: `go install module@version` also asks the proxy for the module's version list
    (to look for a deprecation), which this proxy refuses for Gatus while it serves the version."""
    bin_dir = BUILD_DIR / f"gatus-{GATUS_VERSION}"
    executable = bin_dir / "gatus"
    if executable.exists():
        return Build(GATUS, executable)
    downloaded = await _go(
        ["mod", "download", "-json", f"{GATUS_MODULE}@{GATUS_VERSION}"], cwd=BUILD_DIR
    )
    if isinstance(downloaded, GoFailure):
        return Build(GATUS, skipped=downloaded.why)
    module_dir = Path(json.loads(downloaded)["Dir"])
    bin_dir.mkdir(parents=True, exist_ok=True)
    built = await _go(["build", "-o", str(executable), "."], cwd=module_dir)
    return (
        Build(GATUS, skipped=built.why)
        if isinstance(built, GoFailure)
        else Build(GATUS, executable)
    )


@dataclass(frozen=True)
class GoFailure:
    why: str


async def _go(args: list[str], *, cwd: Path) -> str | GoFailure:
    """Runs `go args`: what it printed when it succeeded, else why it did not, in one line."""
    go = shutil.which("go")
    if go is None:
        return GoFailure("Go is not installed here (no `go` on PATH)")
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    go_env = {
        **os.environ,
        # The toolchain installed, never one downloaded; caches kept beside the bench's others,
        # and the module cache writable so that `rm -rf .cache` can remove it.
        "GOTOOLCHAIN": "local",
        "GOCACHE": str(BUILD_DIR / "cache"),
        "GOPATH": str(BUILD_DIR / "gopath"),
        "GOFLAGS": "-modcacherw",
    }
    process = await asyncio.create_subprocess_exec(
        go,
        *args,
        cwd=cwd,
        env=go_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), BUILD_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        return GoFailure(f"`go {args[0]}` did not finish within {BUILD_TIMEOUT_S:.0f} s")
    if process.returncode == 0:
        return out.decode()
    why = _json_error(out.decode(errors="replace")) or _last_words(err.decode(errors="replace"))
    return GoFailure(f"`go {' '.join(args)}` failed: {why}")


def _json_error(stdout: str) -> str | None:
    """The `Error` a `-json` command tells on stdout, where its stderr stays empty."""
    try:
        told = json.loads(stdout)
    except ValueError:
        return None
    error = told.get("Error") if isinstance(told, dict) else None
    return str(error)[-400:] if error else None


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
