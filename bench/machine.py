"""What the results were measured on: the machine, the versions, the stack's settings."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.config import REPO_ROOT, BenchConfig
from bench.context import BenchContext
from bench.database import server_version


def _proc_line(path: str, prefix: str) -> str | None:
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    return next((line for line in text.splitlines() if line.startswith(prefix)), None)


def _cpu_model() -> str:
    line = _proc_line("/proc/cpuinfo", "model name")
    return line.split(":", 1)[1].strip() if line else platform.processor() or "unknown"


def _memory_gib() -> float:
    line = _proc_line("/proc/meminfo", "MemTotal:")
    return int(line.split()[1]) / 2**20 if line else float("nan")


def _source_revision() -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} with uncommitted changes" if changed else head


def _kafka_version() -> str:
    jars = sorted((REPO_ROOT / ".cache" / "kafka-libs").glob("kafka_2.13-*.jar"))
    return jars[-1].stem.split("-", 1)[1] if jars else "external or unknown"


async def describe(ctx: BenchContext, config: BenchConfig) -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": round(_memory_gib(), 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "postgresql": await server_version(ctx.db),
        "kafka": _kafka_version(),
        "source": _source_revision(),
        "scale": config.scale,
        "runs": config.runs,
        "warmup_s": config.warmup_s,
        "window_s": config.window_s,
        "external_kafka": bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")),
        "external_database": bool(os.environ.get("DATABASE_URL")),
        "stack_settings": {
            **ctx.access.env,
            "GATE_DB_POOL": "asyncpg pool min 2 / max 20 (bootstrap.py)",
            "POSTGRES": "max_connections=200, shared_buffers=512MB, other settings default",
            "KAFKA": "single node KRaft, heap 256-512 MiB, num.partitions=3",
        },
    }
