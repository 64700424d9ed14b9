"""What every part of the local stack offers the launcher."""

from __future__ import annotations

import signal
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from deploy.local import processes


@dataclass(frozen=True)
class Paths:
    """Where a stack keeps its pid files, logs and data."""

    state_dir: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "state_dir", self.state_dir.resolve())

    def pid_file(self, name: str) -> Path:
        return self.state_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.state_dir / "logs" / f"{name}.log"

    def data_dir(self, name: str) -> Path:
        return self.state_dir / "data" / name


class Component(ABC):
    """A process of the stack: started detached, judged by its pid and its readiness check."""

    name: str
    marker: str
    stop_signal: int = signal.SIGTERM
    start_timeout: float = 60.0

    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    @property
    def pid_file(self) -> Path:
        return self.paths.pid_file(self.name)

    @property
    def log_file(self) -> Path:
        return self.paths.log_file(self.name)

    def pid(self) -> int | None:
        return processes.read_pid(self.pid_file)

    def is_alive(self) -> bool:
        pid = self.pid()
        return pid is not None and processes.is_alive(pid, marker=self.marker)

    def is_running(self) -> bool:
        return self.is_alive() and self.is_ready()

    def ensure_running(self) -> bool:
        """Start the component unless it already runs; True when it had to be started."""
        if self.is_running():
            return False
        self.stop_before_start()
        self.prepare()
        self.spawn()
        processes.wait_until(
            self.is_ready,
            what=self.name,
            timeout=self.start_timeout,
            still_starting=self.is_alive,
            log_file=self.log_file,
        )
        self.after_ready()
        return True

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            processes.stop(pid, marker=self.marker, stop_signal=self.stop_signal)
        self.pid_file.unlink(missing_ok=True)

    def stop_before_start(self) -> None:
        """What is left of an earlier run (alive but not answering) goes before a new start."""
        self.stop()

    def prepare(self) -> None:
        """One-off work before the first start (fetching, formatting); idempotent."""
        return

    def after_ready(self) -> None:
        """Work that needs the running component (creating a database, topics)."""
        return

    @abstractmethod
    def spawn(self) -> None: ...

    @abstractmethod
    def is_ready(self) -> bool: ...
