"""The worker processes of a gate started with GATE_WORKERS > 1, found in /proc."""

from __future__ import annotations

import contextlib
from pathlib import Path


def worker_processes(pid: int) -> list[int]:
    """The workers process `pid` started (multiprocessing's spawn, as the gate does)."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
            if int(stat.rpartition(")")[2].split()[1]) == pid and b"spawn_main" in cmdline:
                found.append(int(entry.name))
    return found
