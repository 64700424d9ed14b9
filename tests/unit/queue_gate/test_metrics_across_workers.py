"""GATE_WORKERS > 1: `/metrics` adds up what every worker counted, in a directory made fresh for
the run, and a stopped worker's gauges of what it held go with it."""

from __future__ import annotations

import fcntl
import itertools
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest
import uvicorn
from prometheus_client import REGISTRY, Gauge
from prometheus_client.multiprocess import mark_process_dead
from prometheus_client.parser import text_string_to_metric_families

from services.queue_gate import workers
from services.queue_gate.adapters import prometheus_metrics
from services.queue_gate.adapters.prometheus_metrics import (
    MULTIPROCESS_DIRECTORY,
    READ_AT_SCRAPE,
    WORKERS_DIRECTORY,
    exposition,
    record_read_at_scrape,
)
from services.queue_gate.worker_metrics_directory import metrics_directory
from tests.support.ops_tools import REPO
from tests.unit.queue_gate.fakes import FakePorts

# What a worker of the gate records, each in a process of its own as the workers are.
_WORKER = """
import os
from services.queue_gate.adapters import prometheus_metrics as m
for _ in range({accepted}):
    m.SUBMISSIONS_ACCEPTED.labels("73.71", "queued").inc()
m.ACTIVE_DISPATCHERS.inc({dispatching})
# Read at a scrape of its own, since changed: the line emptied, the flag was cleared.
m.READ_AT_SCRAPE.backlogs = {{"73.06": 5}}
m.READ_AT_SCRAPE.misconfigured = {{"73.06": 401}}
print(os.getpid())
"""


def _worked(directory: Path, *, accepted: int, dispatching: int) -> int:
    """Start a worker recording these; its process id once it has."""
    env = {**os.environ, MULTIPROCESS_DIRECTORY: str(directory)}
    script = _WORKER.format(accepted=accepted, dispatching=dispatching)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, check=True
    )
    return int(done.stdout)


def _scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Each sample `/metrics` answers, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition().decode())
        for sample in family.samples
    }


async def test_a_scrape_adds_up_every_worker_and_drops_what_a_stopped_one_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _worked(tmp_path, accepted=3, dispatching=2)
    _worked(tmp_path, accepted=4, dispatching=5)
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, str(tmp_path))
    monkeypatch.setenv(WORKERS_DIRECTORY, str(tmp_path))
    monkeypatch.setattr(READ_AT_SCRAPE, "backlogs", {})
    monkeypatch.setattr(READ_AT_SCRAPE, "misconfigured", {})
    ports = FakePorts()
    await ports.waiting("73.71", "a")
    await ports.misconfigurations.flag("73.71", 403)
    # The worker answering this scrape reads them.
    await record_read_at_scrape(ports.submissions, ports.misconfigurations, None)

    accepted = ("queue_gate_submissions_accepted_total", (("region", "73.71"), ("state", "queued")))
    dispatchers = ("queue_gate_active_dispatchers", ())
    scraped = _scraped()
    assert scraped[accepted] == 7
    assert scraped[dispatchers] == 7  # the leases held by the workers together
    # What this scrape read, not what a worker read before: the emptied line, the cleared
    # flag are gone.
    assert {key: value for key, value in scraped.items() if key[0] == "queue_gate_backlog"} == {
        ("queue_gate_backlog", (("region", "73.71"),)): 1
    }
    assert {
        key: value for key, value in scraped.items() if key[0] == "queue_gate_siak_misconfigured"
    } == {("queue_gate_siak_misconfigured", (("region", "73.71"), ("status", "403"))): 1}

    mark_process_dead(first, str(tmp_path))  # type: ignore[no-untyped-call]
    scraped = _scraped()
    assert scraped[accepted] == 7  # a count does not go back
    assert scraped[dispatchers] == 5


def test_one_process_answers_with_its_own_counts_whatever_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PROMETHEUS_MULTIPROC_DIR in one process's environment (set for other services, or left
    # from another run) made /metrics add up every file there: another process's counts too.
    _worked(tmp_path, accepted=5, dispatching=0)
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, str(tmp_path))
    labels = {"region": "73.71", "state": "queued"}
    own = REGISTRY.get_sample_value("queue_gate_submissions_accepted_total", labels)

    accepted = ("queue_gate_submissions_accepted_total", tuple(sorted(labels.items())))
    assert _scraped().get(accepted) == own


class FakeWorker:
    """A worker process as `serve` sees it: answers `lives` health checks, then has stopped.
    Started, it writes the files prometheus_client would in the run's directory."""

    pids = itertools.count(4_000_000)

    def __init__(self, lives: int, on_start: Callable[[FakeWorker], None]) -> None:
        self.pid = next(self.pids)
        self.lives = lives
        self.exitcode: int | None = None
        self.directory = Path(os.environ[MULTIPROCESS_DIRECTORY])
        self.found_there = sorted(path.name for path in self.directory.iterdir())
        for kind in ("counter", "gauge_livesum", "gauge_livemax"):
            (self.directory / f"{kind}_{self.pid}.db").touch()
        self.stopped = False
        on_start(self)

    def health(self, timeout: float) -> bool | None:
        del timeout
        self.lives -= 1
        if self.lives < 0:
            self.exitcode = 1
            return None
        return True

    def kill(self) -> None:
        self.stopped = True

    def terminate(self) -> None:
        self.stopped = True
        self.exitcode = 0

    def join(self, timeout: float | None = None) -> None:
        del timeout
        assert self.stopped


def _serve_with_fakes(monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[FakeWorker]]:
    """`serve` with two workers, the first stopping at its first health check: what it
    returned and every worker it started, the replacement last (which stops the gate)."""
    handlers: dict[int, Callable[[int, FrameType | None], None]] = {}
    monkeypatch.setattr(
        signal, "signal", lambda number, handler: handlers.update({number: handler})
    )
    monkeypatch.setattr(workers, "WATCH_S", 0.01)
    started: list[FakeWorker] = []

    def start(config: uvicorn.Config) -> FakeWorker:
        del config
        lives = 0 if not started else 1_000_000
        worker = FakeWorker(lives, on_start=started.append)
        if len(started) == 3:
            handlers[signal.SIGTERM](signal.SIGTERM, None)
        return worker

    monkeypatch.setattr(workers, "_started", start)
    status = workers.serve(uvicorn.Config("services.queue_gate.__main__:app", port=0), 2)
    return status, started


def test_serve_gives_the_workers_a_fresh_directory_and_forgets_a_stopped_ones_gauges(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # An operator's variable, with an earlier run's counts: never where this run counts.
    (tmp_path / "counter_1234.db").touch()
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY, str(tmp_path))

    status, (stopped, alive, replacement) = _serve_with_fakes(monkeypatch)

    directory = stopped.directory
    assert status == 0
    assert directory != tmp_path and directory.parent == Path(tempfile.gettempdir())
    assert stopped.found_there == []
    assert replacement.directory == directory
    assert replacement.found_there == sorted(
        [f"counter_{stopped.pid}.db"]  # what it counted still counts
        + [f"{kind}_{alive.pid}.db" for kind in ("counter", "gauge_livemax", "gauge_livesum")]
    )
    assert all(worker.stopped for worker in (stopped, alive, replacement))
    assert not directory.exists()
    assert os.environ[MULTIPROCESS_DIRECTORY] == str(tmp_path)


def test_every_gauge_says_how_the_workers_values_combine() -> None:
    # prometheus_client's default for a gauge across processes is a series per worker pid,
    # which no dashboard or alert of the gate reads: each gauge chooses a sum, a maximum or
    # the latest value of the live workers.
    gauges = {
        name: value for name, value in vars(prometheus_metrics).items() if isinstance(value, Gauge)
    }
    assert gauges
    assert {
        name: gauge._multiprocess_mode
        for name, gauge in gauges.items()
        if not gauge._multiprocess_mode.startswith("live")
    } == {}


def test_the_metrics_directory_is_locked_against_systemd_tmpfiles() -> None:
    # systemd-tmpfiles removes what in /tmp has not changed for 10 days (a metric file no
    # worker wrote to, then the empty directory) unless it can lock the directory first.
    with metrics_directory() as directory:
        assert _kept_from_systemd_tmpfiles(directory.path)


def test_a_worker_counting_in_a_removed_file_is_told_apart() -> None:
    # tmpwatch and its kin remove old files, not only directories, and take no lock: such a
    # worker counts on in a file no scrape reads, and only its replacement is seen again.
    with metrics_directory() as directory:
        env = {**os.environ, MULTIPROCESS_DIRECTORY: directory.path}
        script = _WORKER.format(accepted=1, dispatching=0, misconfigured=0) + "input()\n"
        worker = subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            assert worker.stdout is not None
            pid = int(worker.stdout.readline())
            assert not directory.counts_unseen(pid)

            (Path(directory.path) / f"counter_{pid}.db").unlink()

            assert directory.counts_unseen(pid)
            assert not directory.keep()  # the directory itself is still there
        finally:
            worker.kill()
            worker.wait()


def test_a_removed_directory_is_made_again_and_locked() -> None:
    with metrics_directory() as directory:
        os.rmdir(directory.path)

        assert directory.keep()

        assert _kept_from_systemd_tmpfiles(directory.path)
        assert not directory.keep()


def test_a_directory_that_cannot_be_made_again_is_tried_again_later() -> None:
    # Metrics never stop the gate: the supervisor's loop would have failed, and every worker
    # with it.
    with metrics_directory() as directory:
        os.rmdir(directory.path)
        Path(directory.path).touch()  # what stands in its place

        assert not directory.keep()

        os.remove(directory.path)
        assert directory.keep()


def _kept_from_systemd_tmpfiles(path: str) -> bool:
    """Whether the lock systemd-tmpfiles takes before it cleans a directory is refused."""
    cleaner = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(cleaner, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(cleaner)
    return False
