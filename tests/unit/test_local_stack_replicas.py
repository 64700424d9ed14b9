"""`MONITOR_REPLICAS=2 make up` runs two monitors, each with its own pid file, port and id."""

from __future__ import annotations

from pathlib import Path

from deploy.local.python_service import PythonService
from deploy.local.stack import Stack, StackSettings


def monitors(tmp_path: Path, replicas: str | None) -> list[PythonService]:
    environ = {"SIAK_GATE_STATE_DIR": str(tmp_path)}
    if replicas is not None:
        environ["MONITOR_REPLICAS"] = replicas
    stack = Stack(StackSettings.from_environment(environ))
    return [
        service
        for service in stack.services
        if isinstance(service, PythonService) and service.module == "services.siak_monitor"
    ]


def test_two_monitor_replicas_get_their_own_pid_files_ports_and_ids(tmp_path: Path) -> None:
    two = monitors(tmp_path, "2")

    assert [m.pid_file for m in two] == [
        tmp_path / "siak_monitor.pid",
        tmp_path / "siak_monitor-2.pid",
    ]
    assert [m.port for m in two] == [8081, 8082]
    assert [m.env["MONITOR_PORT"] for m in two] == ["8081", "8082"]
    assert [m.env["MONITOR_MONITOR_ID"] for m in two] == ["siak-monitor", "siak-monitor-2"]


def test_one_monitor_by_default(tmp_path: Path) -> None:
    assert [m.name for m in monitors(tmp_path, None)] == ["siak_monitor"]
