"""The broker's jars are fetched into the shared cache by one process at a time."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy.local import kafka_broker


def test_the_fetch_holds_the_caches_lock_so_side_by_side_starts_do_not_remove_each_others_jars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # make test's two pytest workers start their brokers at the same moment on a clean clone:
    # unlocked, one's rmtree and copy ran under the other's.
    libs_dir = tmp_path / "kafka-libs"
    held_while_copying: list[bool] = []

    def copy_dependencies(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        with (tmp_path / "kafka-libs.lock").open("w") as other_process:
            try:
                fcntl.flock(other_process, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held_while_copying.append(True)
            else:
                held_while_copying.append(False)
        libs_dir.mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(shutil, "which", lambda _: "/usr/bin/mvn")
    monkeypatch.setattr(subprocess, "run", copy_dependencies)

    kafka_broker.fetch_broker_jars(libs_dir)
    kafka_broker.fetch_broker_jars(libs_dir)  # the stamp is read again: no second copy

    assert held_while_copying == [True]
