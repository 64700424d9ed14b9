"""CPU time and resident memory of processes, read from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name may hold spaces and parentheses: fields start after the last ")".
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User and system time of `pid`, its reaped children, and its live descendants."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    own = sum(int(value) for value in fields[11:15]) / _TICKS
    return own + sum(_own_cpu(child) for child in descendants(pid))


def _own_cpu(pid: int) -> float:
    fields = _stat_fields(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / _TICKS


def descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    frontier = [pid]
    while frontier:
        children = parents.get(frontier.pop(), [])
        found.extend(children)
        frontier.extend(children)
    return found


def resident_bytes(pid: int) -> int:
    """Proportional set size of `pid` and its descendants (shared pages counted once)."""
    return sum(_pss(member) for member in [pid, *descendants(pid)])


def _pss(pid: int) -> int:
    try:
        rollup = (_PROC / str(pid) / "smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_snapshot(pids: Mapping[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def cpu_delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


@dataclass
class MemoryPeaks:
    """Largest resident size seen per process while sampling."""

    peaks: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, size: int) -> None:
        self.peaks[name] = max(self.peaks.get(name, 0), size)


@contextlib.asynccontextmanager
async def sampling_memory(
    pids: Mapping[str, int], *, every_s: float = 0.5
) -> AsyncIterator[MemoryPeaks]:
    """Samples the resident size of `pids` until the block ends."""
    peaks = MemoryPeaks()

    async def sample() -> None:
        while True:
            for name, pid in pids.items():
                peaks.add(name, await asyncio.to_thread(resident_bytes, pid))
            await asyncio.sleep(every_s)

    task = asyncio.create_task(sample())
    try:
        yield peaks
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def memory_snapshot(pids: Mapping[str, int]) -> dict[str, int]:
    return {name: resident_bytes(pid) for name, pid in pids.items()}
