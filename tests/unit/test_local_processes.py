"""How the local stack tells its own live processes from exited or recycled pids."""

from __future__ import annotations

import pytest

from deploy.local.processes import judge_process

MARKER = "/srv/stack/kafka-server.properties"
OURS = b"java\0-Xmx512m\0kafka.Kafka\0/srv/stack/kafka-server.properties\0"


def stat_line(state: str) -> str:
    # The command name may itself hold ") ": only the last one ends it.
    return f"4242 (java) odd) {state} 1 4242 4242 0 -1 4194560"


@pytest.mark.parametrize("state", ["R", "S", "D"])
def test_a_running_process_with_the_marker_is_ours(state: str) -> None:
    assert judge_process(stat_line(state), OURS, marker=MARKER)


@pytest.mark.parametrize("state", ["Z", "X"])
def test_a_zombie_or_dead_process_is_not_alive(state: str) -> None:
    assert not judge_process(stat_line(state), OURS, marker=MARKER)


def test_a_recycled_pid_running_another_program_is_not_ours() -> None:
    assert not judge_process(stat_line("S"), b"/usr/sbin/sshd\0-D\0", marker=MARKER)


def test_a_process_caught_in_the_middle_of_an_exec_counts_as_alive() -> None:
    # The Java launcher re-executes itself at start; /proc shows an empty command line then.
    assert judge_process(stat_line("R"), b"", marker=MARKER)
