"""The bench's profiler: the py-spy command it runs and how it ranks the sampled frames."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bench.profile import py_spy_command, top_frames


def test_py_spy_samples_the_pid_on_cpu_as_collapsed_stacks() -> None:
    command = py_spy_command(4242, duration_s=11.6, output=Path("/tmp/out.txt"), rate_hz=100)

    assert Path(command[0]).name == "py-spy"
    assert command[1] == "record"

    def value(flag: str) -> str:
        return command[command.index(flag) + 1]

    assert value("--pid") == "4242"
    assert value("--duration") == "12"
    assert value("--rate") == "100"
    assert value("--format") == "raw"
    assert value("--output") == "/tmp/out.txt"
    assert "--idle" not in command  # waiting in epoll is not CPU


def test_a_short_window_still_samples_for_one_second() -> None:
    command = py_spy_command(1, duration_s=0.2, output=Path("o"))

    assert command[command.index("--duration") + 1] == "1"


def test_own_time_counts_the_innermost_frame_and_cumulative_every_frame_once() -> None:
    collapsed = [
        "main (app.py);handle (app.py);encode (json.py) 6",
        "main (app.py);handle (app.py) 3",
        "main (app.py);walk (t.py);walk (t.py) 1",
        "not a sample line",
        "",
    ]

    frames = top_frames(collapsed, top=3)

    assert frames.samples == 10
    assert frames.own == [("encode (json.py)", 6), ("handle (app.py)", 3), ("walk (t.py)", 1)]
    assert frames.cumulative == [
        ("main (app.py)", 10),
        ("handle (app.py)", 9),
        ("encode (json.py)", 6),
    ]


def test_a_frame_on_the_stack_twice_counts_once_in_cumulative() -> None:
    frames = top_frames(["a (x.py);b (x.py);a (x.py) 4"])

    assert dict(frames.cumulative)["a (x.py)"] == 4
    assert dict(frames.own) == {"a (x.py)": 4}


def test_render_gives_each_frame_its_share_of_the_samples() -> None:
    frames = top_frames(["main (app.py);encode (json.py) 3", "main (app.py) 1"])
    text = replace(frames, cpu_s=0.5, seconds=2.0).render("gate")

    assert "## gate: 4 samples in 2 s, 0.5 s of CPU (25.0 % of a core)" in text
    assert "| 75.0 | 3 | `encode (json.py)` |" in text
    assert "| 100.0 | 4 | `main (app.py)` |" in text


def test_own_time_by_package_groups_library_and_service_code() -> None:
    frames = top_frames(
        [
            "main (app.py);route (fastapi/routing.py) 5",
            "main (app.py);seal (services/queue_gate/adapters/sealing.py) 2",
            "main (app.py);accept (services/queue_gate/handlers/intake.py) 1",
            "main (app.py);__init__ (<frozen abc>) 1",
            "main (app.py) 1",
        ]
    )

    assert dict(frames.packages) == {
        "fastapi": 5,
        "services/queue_gate": 3,
        "<frozen abc>": 1,
        "app.py": 1,
    }
