"""The gate served by more than one process (`GATE_WORKERS`), each on a listening socket of its
own.

uvicorn's own workers share one listening socket bound by the parent: connections opened
together (a load balancer's or a portal's pool of kept-alive connections) all went to the worker
that woke first and stayed with it while the others stood idle. Here each worker binds the port
itself with `SO_REUSEPORT`, and the kernel deals new connections over the workers' sockets by
their addresses.

Every worker keeps its metrics in a file of a directory made fresh for the run (prometheus_client's
multiprocess mode), so that `/metrics` answers with every worker's counts whichever takes the
scrape; a worker whose file a cleaner removed is replaced, so that its counts are seen again.

The parent supervises with uvicorn's health check: a worker that stops, or whose event loop is
stuck, is replaced. One that could not start (its lifespan failed, the port is taken) is started
again with back-off while another worker serves; with none serving it stops the gate with
uvicorn's startup-failure status, as one process that cannot start does. Workers that started
and die again and again stop it too. A port some other program already listens on is refused,
and the workers end with their parent, so no worker of an earlier run serves beside the next.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

from services.queue_gate.worker_metrics_directory import MetricsDirectory, metrics_directory
from shared.supervision import Backoff

log = logging.getLogger(__name__)

WATCH_S = 0.5
"""How often the parent looks at its workers and its signals."""
HUNG_AFTER_S = 10.0
"""A started worker whose event loop has not ticked for this long no longer answers the
parent's health check, and is replaced: its socket would go on being dealt connections."""
DEATHS_TOLERATED = 5
DEATHS_WINDOW_S = 60.0
"""A worker dying this many times within the window stops the gate with a failing status (its
own supervisor, systemd or the container runtime, restarts it), rather than a restart loop."""
START_RETRIES = Backoff(initial_s=0.5, max_s=30.0)
"""A worker that could not start while another serves is started again after 0.5 s, then
after twice as long each time up to 30 s (PostgreSQL away for minutes), until one starts."""
UNSEEN_LOOK_S = 10.0
"""How often the parent looks for workers counting in a metrics file that was removed; at once
when the directory was removed, and when a worker starts serving (the next may be replaced)."""
STOP_GRACE_S = 30.0
"""How long a stopping worker may finish the requests in flight before it is killed; a second
stop signal kills at once."""
PR_SET_PDEATHSIG = 1


def bound_sockets(host: str, port: int, *, shared: bool = True) -> list[socket.socket]:
    """Sockets bound to every address of `host` (all interfaces when empty) on `port`, as one
    uvicorn process binds them. `shared`: other sockets of this user may bind the same
    (`SO_REUSEPORT`), and each gets its share of the connections."""
    found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    bound: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if shared:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:  # its IPv4 twin is bound on its own
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError:
        for sock in bound:
            sock.close()
        raise
    return bound


class _Worker(Process):
    """A uvicorn worker process that listens on sockets it binds itself, ends with its parent,
    and stops answering the parent's health check once its event loop is stuck."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config, [])
        self.parent_pid = os.getpid()
        self._ticked_at: float | None = None

    def target(self, sockets: list[socket.socket] | None = None) -> None:
        del sockets  # the parent binds none
        _end_with(self.parent_pid)
        try:
            own = bound_sockets(self.config.host, self.config.port)
        except OSError as error:
            log.error("cannot listen on %s:%s: %s", self.config.host, self.config.port, error)
            sys.exit(STARTUP_FAILURE)
        # uvicorn calls this from its event loop's main loop, once a second.
        self.config.callback_notify = self._loop_ticked
        self.config.timeout_notify = 1
        super().target(own)

    async def _loop_ticked(self) -> None:
        self._ticked_at = time.monotonic()

    def pong(self) -> None:
        """uvicorn's health check, answered on a thread of its own: left unanswered while the
        started worker's event loop is stuck, so the parent replaces it."""
        self.child_conn.recv()
        ticked = self._ticked_at
        if ticked is not None and time.monotonic() - ticked > HUNG_AFTER_S:
            return
        self.child_conn.send(self.server.started)

    @property
    def pid(self) -> int:
        """Every worker here is started as soon as it is made."""
        pid = self.process.pid
        assert pid is not None
        return pid

    def health(self, timeout: float) -> bool | None:
        """True while it serves, False while it starts, None once stopped or stuck."""
        if not self.process.is_alive():
            return None
        return self._healthcheck(timeout)

    def join(self, timeout: float | None = None) -> None:
        self.process.join(timeout)


@dataclass
class _Slot:
    """One of the `workers` places: its worker, or none while a start is retried later."""

    worker: _Worker | None
    serving: bool = False
    retry_at: float = 0.0
    failed_starts: int = 0
    """Starts that failed in a row, since its last worker served."""
    retiring_since: float | None = None
    """When its worker was asked to stop, to be replaced (not a death)."""

    def ended(self) -> _Worker:
        """Its worker, stopped (or stuck) and now killed; the slot empty."""
        assert self.worker is not None
        worker, self.worker, self.serving = self.worker, None, False
        self.retiring_since = None
        worker.kill()
        worker.join()
        return worker

    def retry_later(self, now: float) -> float:
        """Empty until a start is due: the wait, doubled for the next time."""
        self.failed_starts += 1
        wait = START_RETRIES.after(self.failed_starts)
        self.retry_at = now + wait
        return wait

    def retire(self, now: float) -> None:
        """Its worker asked to stop, with the grace of a stopping gate, to be replaced."""
        assert self.worker is not None
        self.serving, self.retiring_since = False, now
        self.worker.terminate()

    def retired(self, now: float) -> bool:
        """Whether its retiring worker has stopped, or had its grace."""
        assert self.worker is not None and self.retiring_since is not None
        return self.worker.exitcode is not None or now - self.retiring_since >= STOP_GRACE_S


def _end_with(parent_pid: int) -> None:
    """Linux sends this worker SIGTERM when its parent dies, killed -9 included: a worker
    serving on by itself would be dealt connections beside the next run's."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        log.warning("worker %s cannot be tied to its parent's life", os.getpid())
    if os.getppid() != parent_pid:  # the parent died before the tie
        sys.exit(1)


def serve(config: uvicorn.Config, workers: int) -> int:
    """Run `workers` processes of `config`'s app until SIGINT, SIGTERM, SIGHUP or SIGQUIT (a
    second one kills the workers at once); the exit status: 0, uvicorn's startup failure (3)
    when the port is taken or a worker could not start while none served, 1 when workers kept
    dying."""
    try:
        for sock in bound_sockets(config.host, config.port, shared=False):
            sock.close()
    except OSError as error:  # another program listens there: refuse, as one process does
        log.error("cannot listen on %s:%s: %s", config.host, config.port, error)
        return STARTUP_FAILURE
    stopping, forced = threading.Event(), threading.Event()

    def stop(_signal: int, _frame: object) -> None:
        (forced if stopping.is_set() else stopping).set()

    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(stop_signal, stop)
    log.info("serving on %s:%s with %d worker processes", config.host, config.port, workers)
    with metrics_directory() as directory:
        slots: list[_Slot] = []
        try:
            slots.extend(_Slot(_started(config)) for _ in range(workers))
            status = _watch(slots, config, stopping, directory)
        except Exception:
            log.exception("the workers' supervisor failed; stopping the gate")
            status = 1
        finally:
            _stop([slot.worker for slot in slots if slot.worker is not None], forced)
    return status


def _watch(
    slots: list[_Slot],
    config: uvicorn.Config,
    stopping: threading.Event,
    directory: MetricsDirectory,
) -> int:
    deaths: deque[float] = deque(maxlen=DEATHS_TOLERATED)
    next_look = time.monotonic() + UNSEEN_LOOK_S
    while not stopping.wait(WATCH_S):
        look = directory.keep()
        for slot in slots:
            now = time.monotonic()
            if slot.worker is None:
                if now >= slot.retry_at:
                    slot.worker = _started(config)
                continue
            if slot.retiring_since is not None:
                if slot.retired(now):
                    directory.forget(slot.ended().pid)
                    slot.worker = _started(config)
                continue
            health = slot.worker.health(config.timeout_worker_healthcheck)
            if health is not None:
                if health and not slot.serving:
                    slot.serving, slot.failed_starts, look = True, 0, True
                continue
            status = _replace(
                slot, slots=slots, config=config, deaths=deaths, directory=directory, now=now
            )
            if status is not None:
                return status
        if look or time.monotonic() >= next_look:
            next_look = time.monotonic() + UNSEEN_LOOK_S
            _retire_one_counting_unseen(slots, directory)
    return 0


def _replace(
    slot: _Slot,
    *,
    slots: list[_Slot],
    config: uvicorn.Config,
    deaths: deque[float],
    directory: MetricsDirectory,
    now: float,
) -> int | None:
    """The slot's worker, stopped or stuck, replaced now or later; the gate's exit status
    instead when it should stop."""
    worker = slot.ended()
    directory.forget(worker.pid)
    if worker.exitcode == STARTUP_FAILURE:
        if not any(other.serving for other in slots):
            log.error("worker %s could not start; stopping the gate", worker.pid)
            return STARTUP_FAILURE
        # The others serve, and may again once what it needs is back (PostgreSQL): stopping
        # them would refuse every request instead of none.
        wait = slot.retry_later(now)
        log.error("worker %s could not start; starting another in %.1f s", worker.pid, wait)
        return None
    deaths.append(now)
    if len(deaths) == DEATHS_TOLERATED and deaths[-1] - deaths[0] < DEATHS_WINDOW_S:
        log.error(
            "workers died %d times within %.0f s; stopping the gate",
            DEATHS_TOLERATED,
            DEATHS_WINDOW_S,
        )
        return 1
    log.warning("worker %s stopped (%s); starting another", worker.pid, worker.exitcode)
    slot.worker = _started(config)
    return None


def _retire_one_counting_unseen(slots: list[_Slot], directory: MetricsDirectory) -> None:
    """One worker whose metrics file was removed asked to stop and replaced, and only while
    every other serves: a cleaner costs one worker's share of capacity at a time, for as long
    as one starts, and its counts start again from zero (a counter reset to Prometheus)."""
    if not all(slot.serving for slot in slots):
        return
    for slot in slots:
        assert slot.worker is not None
        if directory.counts_unseen(slot.worker.pid):
            log.warning("worker %s counts in a removed metrics file; replacing it", slot.worker.pid)
            slot.retire(time.monotonic())
            return


def _stop(running: list[_Worker], forced: threading.Event) -> None:
    """Each worker asked to stop, then killed if it has not within the grace (at once after a
    second stop signal)."""
    for worker in running:
        worker.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for worker in running:
        while worker.exitcode is None and time.monotonic() < deadline and not forced.is_set():
            worker.join(WATCH_S)
        if worker.exitcode is None:
            worker.kill()
        worker.join()


def _started(config: uvicorn.Config) -> _Worker:
    worker = _Worker(config)
    worker.start()
    return worker
