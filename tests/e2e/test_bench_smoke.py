"""`python -m bench` at smoke scale: every item ends up with a figure, a baseline and a ratio."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from deploy.local.python_service import REPO_ROOT

pytestmark = pytest.mark.e2e

ITEMS = ("intake", "propagation", "replay", "monitor_scale", "memory", "backlog")
TIMEOUT_S = 600


def test_smoke_run_reports_every_item_beside_its_baseline() -> None:
    state_dir = REPO_ROOT / ".run" / "test" / f"bench-smoke-{os.getpid()}"
    shutil.rmtree(state_dir, ignore_errors=True)
    # The bench starts a broker of its own: status events it publishes must not reach the
    # broker other tests share.
    env = {
        k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
    }
    env.update(BENCH_SCALE="smoke", BENCH_STATE_DIR=str(state_dir))
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "bench"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
        results: dict[str, Any] = json.loads((state_dir / "results.json").read_text())
        assert (state_dir / "results.md").read_text().startswith("# SIAK Gate")
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    items = {item["key"]: item for item in results["items"]}
    assert sorted(items) == sorted(ITEMS)
    for key, item in items.items():
        assert item["error"] is None, f"{key}: {item['error']}"
        assert item["measures"], f"{key} has no measures"
        for measure in item["measures"]:
            for field in ("figure", "baseline", "ratio"):
                assert isinstance(measure[field], float | int), f"{key}: {measure}"
    assert results["meta"]["cores"] >= 1
