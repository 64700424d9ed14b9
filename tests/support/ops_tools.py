"""The deployment checkers `make ops-tools` builds into .tools/ops/bin (see the Makefile)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OPS_BIN = REPO / ".tools" / "ops" / "bin"


def ops_tool(name: str) -> Path:
    path = OPS_BIN / name
    assert path.exists(), f"{path} is missing: `make ops-tools` builds it"
    return path


def run_ops_tool(name: str, *args: str | Path, env: dict[str, str] | None = None) -> str:
    """The tool's output; a failure fails the test with what the tool said."""
    result = subprocess.run(
        [ops_tool(name), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, f"{name} {' '.join(map(str, args))}:\n{result.stderr}"
    return result.stdout
