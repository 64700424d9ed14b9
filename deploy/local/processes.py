"""Starting, checking and stopping the detached processes of the local stack."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


class StartError(RuntimeError):
    """A component could not be started or did not become ready in time."""


def spawn(
    command: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> int:
    """Start `command` in a session of its own, its output appended to `log_file`."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            user=user,
        )
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_alive(pid: int, *, marker: str) -> bool:
    """True when `pid` runs, is not a zombie, and its command line contains `marker`.

    The marker guards against a recycled pid that now belongs to another program.
    """
    proc = Path("/proc") / str(pid)
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    return judge_process(stat, cmdline, marker=marker)


def judge_process(stat: str, cmdline: bytes, *, marker: str) -> bool:
    """Whether /proc's `stat` and `cmdline` show a live process of ours.

    A process in the middle of an exec shows an empty command line for a moment (the Java
    launcher re-executes itself as it starts): it counts as alive, not as someone else's.
    """
    state = stat.rsplit(")", 1)[1].split(maxsplit=1)[0]
    if state in {"Z", "X"}:
        return False
    return not cmdline or marker in cmdline.replace(b"\0", b" ").decode(errors="replace")


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(pid: int, *, marker: str, stop_signal: int = signal.SIGTERM, grace: float = 30.0) -> None:
    """Ask the process group led by `pid` to stop; kill it when it outlives `grace` seconds."""
    if not is_alive(pid, marker=marker):
        _reap(pid)
        return
    try:
        os.killpg(pid, stop_signal)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not is_alive(pid, marker=marker):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while is_alive(pid, marker=marker):
        _reap(pid)
        time.sleep(0.05)


_TCP_LISTEN = "0A"


def listening_sockets(port: int) -> int:
    """How many sockets listen on TCP `port` on this machine (IPv4 and IPv6): a service whose
    worker processes each bind the port has one per worker that has started serving."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        with contextlib.suppress(FileNotFoundError):
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rpartition(":")[2], 16)
                count += local_port == port and fields[3] == _TCP_LISTEN
    return count


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    still_starting: Callable[[], bool] = lambda: True,
    log_file: Path | None = None,
) -> None:
    """Poll `ready` until it answers True; fail with the log's tail on timeout or early exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if not still_starting():
            raise StartError(f"{what} exited while starting{_tail(log_file)}")
        time.sleep(0.2)
    raise StartError(f"{what} was not ready within {timeout:.0f} s{_tail(log_file)}")


def _tail(log_file: Path | None, lines: int = 25) -> str:
    if log_file is None or not log_file.exists():
        return ""
    text = log_file.read_text(errors="replace").splitlines()[-lines:]
    return f"; last lines of {log_file}:\n" + "\n".join(text)
