"""`python -m bench` at smoke scale: each item run ends up with a figure, a baseline and a ratio.

`make test` runs the intake item alone (and the memory item assembled from it), at one
concurrency: the bench's stack, load generator and report end to end. `make test-bench-smoke`
runs every item, the intake item at each smoke concurrency.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest

from deploy.local.python_service import REPO_ROOT
from tests.support.removal import remove_in_background

pytestmark = pytest.mark.e2e

EVERY_ITEM = ("intake", "propagation", "replay", "monitor_scale", "backlog")
JUDGED_SMOKE_CONCURRENCY = "16"
"""The one concurrency of make test's case: the one the smoke scale judges intake at."""
TIMEOUT_S = 600


@pytest.mark.parametrize(
    ("chosen", "shorter"),
    [
        pytest.param(("intake",), {"BENCH_CONCURRENCIES": JUDGED_SMOKE_CONCURRENCY}, id="intake"),
        pytest.param(EVERY_ITEM, {}, id="every-item", marks=pytest.mark.bench_smoke),
    ],
)
def test_smoke_run_reports_each_chosen_item_beside_its_baseline(
    chosen: tuple[str, ...], shorter: dict[str, str]
) -> None:
    state_dir = REPO_ROOT / ".run" / "test" / f"bench-smoke-{os.getpid()}"
    shutil.rmtree(state_dir, ignore_errors=True)
    # The bench starts a broker of its own: status events it publishes must not reach the
    # broker other tests share.
    env = {
        k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")
    }
    env.update(BENCH_SCALE="smoke", BENCH_ITEMS=",".join(chosen), BENCH_STATE_DIR=str(state_dir))
    env.update(shorter)
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
        remove_in_background(state_dir)
    items = {item["key"]: item for item in results["items"]}
    # Memory is assembled from what the other items saw: it is in every run.
    assert sorted(items) == sorted((*chosen, "memory"))
    for key, item in items.items():
        assert item["error"] is None, f"{key}: {item['error']}"
        assert item["measures"], f"{key} has no measures"
        for measure in item["measures"]:
            for field in ("figure", "baseline", "ratio"):
                assert isinstance(measure[field], float | int), f"{key}: {measure}"
    assert results["meta"]["cores"] >= 1
    if "BENCH_CONCURRENCIES" in shorter:
        at = f"c={shorter['BENCH_CONCURRENCIES']}"
        assert all(at in m["name"] for m in items["intake"]["measures"]), items["intake"]
