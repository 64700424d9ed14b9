"""The gate served by more than one process (`GATE_WORKERS`), each on a listening socket of its
own.

uvicorn's own workers share one listening socket bound by the parent: connections opened
together (a load balancer's or a portal's pool of kept-alive connections) all went to the worker
that woke first and stayed with it while the others stood idle. Here each worker binds the port
itself with `SO_REUSEPORT`, and the kernel deals new connections over the workers' sockets by
their addresses.

Every worker keeps its metrics in a file of a directory made fresh for the run (prometheus_client's
multiprocess mode), so that `/metrics` answers with every worker's counts whichever takes the
scrape.

The supervision is uvicorn's, kept small: a worker that stops is replaced, unless it could not
start (its lifespan failed or the port is taken), which stops every worker and the gate with
uvicorn's startup-failure status, as one process does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator

import uvicorn
from prometheus_client.multiprocess import mark_process_dead
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

from services.queue_gate.adapters.prometheus_metrics import MULTIPROCESS_DIRECTORY

log = logging.getLogger(__name__)

WATCH_S = 0.5
"""How often the parent looks at its workers and its signals."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port` that other sockets of this user may bind as well: each
    gets its share of the connections."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class _Worker(Process):
    """A uvicorn worker process that listens on a socket it binds itself."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:
        del sockets  # the parent binds none
        try:
            own = listening_socket(self.config.host, self.config.port)
        except OSError as error:
            log.error("cannot listen on %s:%s: %s", self.config.host, self.config.port, error)
            sys.exit(STARTUP_FAILURE)
        super().target([own])


def serve(config: uvicorn.Config, workers: int) -> int:
    """Run `workers` processes of `config`'s app until SIGINT or SIGTERM; the exit status."""
    stopping = threading.Event()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda _signal, _frame: stopping.set())
    log.info("serving on %s:%s with %d worker processes", config.host, config.port, workers)
    with metrics_directory() as directory:
        running = [_started(config) for _ in range(workers)]
        failed = False
        while not stopping.wait(WATCH_S):
            for index, worker in enumerate(running):
                if worker.is_alive(timeout=config.timeout_worker_healthcheck):
                    continue
                worker.kill()  # stopped, or hung: not answering uvicorn's health check
                worker.join()
                if worker.exitcode == STARTUP_FAILURE:
                    log.error("worker %s could not start; stopping the gate", worker.pid)
                    failed = True
                    stopping.set()
                    break
                log.warning("worker %s stopped (%s); starting another", worker.pid, worker.exitcode)
                # Its counts stay in the sums; its gauges of what it held go with it.
                mark_process_dead(worker.pid, directory)  # type: ignore[no-untyped-call]
                running[index] = _started(config)
        for worker in running:
            worker.terminate()
        for worker in running:
            worker.join()
    return STARTUP_FAILURE if failed else 0


@contextlib.contextmanager
def metrics_directory() -> Iterator[str]:
    """An empty directory of its own for the workers' metrics, named in the environment they
    are spawned with (they inherit it before they import prometheus_client); removed after.
    Never one of an earlier run: its counters would start from that run's values."""
    directory = tempfile.mkdtemp(prefix="queue-gate-metrics-")
    before = os.environ.get(MULTIPROCESS_DIRECTORY)
    os.environ[MULTIPROCESS_DIRECTORY] = directory
    try:
        yield directory
    finally:
        if before is None:
            del os.environ[MULTIPROCESS_DIRECTORY]
        else:
            os.environ[MULTIPROCESS_DIRECTORY] = before
        shutil.rmtree(directory, ignore_errors=True)


def _started(config: uvicorn.Config) -> _Worker:
    worker = _Worker(config, [])
    worker.start()
    return worker
