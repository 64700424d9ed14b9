"""The gate served by more than one process (`GATE_WORKERS`), each on a listening socket of its
own.

uvicorn's own workers share one listening socket bound by the parent: connections opened
together (a load balancer's or a portal's pool of kept-alive connections) all went to the worker
that woke first and stayed with it while the others stood idle. Here each worker binds the port
itself with `SO_REUSEPORT`, and the kernel deals new connections over the workers' sockets by
their addresses.

The supervision is uvicorn's, kept small: a worker that stops is replaced, unless it could not
start (its lifespan failed or the port is taken), which stops every worker and the gate with
uvicorn's startup-failure status, as one process does.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

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
            running[index] = _started(config)
    for worker in running:
        worker.terminate()
    for worker in running:
        worker.join()
    return STARTUP_FAILURE if failed else 0


def _started(config: uvicorn.Config) -> _Worker:
    worker = _Worker(config, [])
    worker.start()
    return worker
