"""The directory the gate's workers keep their metrics in: fresh for the run, kept from cleaners."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator

from prometheus_client.multiprocess import mark_process_dead

from services.queue_gate.adapters.prometheus_metrics import (
    MULTIPROCESS_DIRECTORY,
    WORKERS_DIRECTORY,
)

log = logging.getLogger(__name__)

REMOVED = " (deleted)"
"""How /proc/<pid>/maps ends the line of a mapped file that was removed."""


class MetricsDirectory:
    """The run's directory, held with a shared BSD lock: systemd-tmpfiles, which cleans /tmp
    of what has not changed for days (a metric file no worker wrote to, then the directory),
    skips a directory it cannot lock. Other cleaners (tmpwatch, a person) do not ask: the
    directory is then made again, and the workers whose files went are told apart."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = _locked(path)
        self._failing = False

    def keep(self) -> bool:
        """Made again (and locked) if it was removed: the workers started next count there.
        Whether it was."""
        if _same_directory(self._lock, self.path):
            return False
        try:
            os.makedirs(self.path, mode=0o700, exist_ok=True)
            lock = _locked(self.path)
        except OSError as error:  # tried again at the next look: metrics never stop the gate
            if not self._failing:
                log.error(
                    "the workers' metrics directory %s cannot be made again: %s", self.path, error
                )
            self._failing = True
            return False
        os.close(self._lock)
        self._lock, self._failing = lock, False
        log.warning(
            "the workers' metrics directory %s was removed (a /tmp cleaner?): made again; "
            "workers are replaced one at a time to count there, from zero",
            self.path,
        )
        return True

    def counts_unseen(self, pid: int) -> bool:
        """Whether worker `pid` writes a file of its metrics that was removed: whatever it
        counts no longer reaches a scrape until it is replaced."""
        prefix = self.path + os.sep
        try:
            with open(f"/proc/{pid}/maps") as maps:
                return any(prefix in line and line.endswith(REMOVED + "\n") for line in maps)
        except OSError:  # it has just stopped: it is replaced anyway
            return False

    def forget(self, pid: int) -> None:
        """A stopped worker: its counts stay in the sums, its gauges of what it held go."""
        mark_process_dead(pid, self.path)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        os.close(self._lock)
        shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def metrics_directory() -> Iterator[MetricsDirectory]:
    """An empty directory of its own for the workers' metrics, named in the environment they
    are spawned with (they inherit it before they import prometheus_client); removed after.
    Never one of an earlier run: its counters would start from that run's values. `TMPDIR`
    chooses where (systemd's `RuntimeDirectory`, for one, is never cleaned while it runs)."""
    directory = MetricsDirectory(tempfile.mkdtemp(prefix="queue-gate-metrics-"))
    names = (MULTIPROCESS_DIRECTORY, WORKERS_DIRECTORY)
    before = {name: os.environ.get(name) for name in names}
    os.environ.update(dict.fromkeys(names, directory.path))
    try:
        yield directory
    finally:
        for name, value in before.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
        directory.close()


def _locked(path: str) -> int:
    lock = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(lock, fcntl.LOCK_SH)
    return lock


def _same_directory(lock: int, path: str) -> bool:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(lock)
    return (found.st_dev, found.st_ino) == (held.st_dev, held.st_ino)
