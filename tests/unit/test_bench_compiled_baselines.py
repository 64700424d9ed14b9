"""The monitor's compiled baselines: skipped with a reason when Go is missing, and Gatus set up
to probe what siak_monitor probes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench import compiled_baselines
from bench.compiled_baselines import build_gatus, build_goprobe, gatus_config


async def test_without_go_both_baselines_are_skipped_saying_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(compiled_baselines, "BUILD_DIR", tmp_path)  # no earlier build to reuse

    for build in (await build_goprobe(), await build_gatus()):
        assert build.executable is None
        assert build.skipped is not None and "Go is not installed" in build.skipped


def test_gatus_probes_every_region_like_the_monitor() -> None:
    text = gatus_config(
        "http://127.0.0.1:8090/regions/{region}/health", ["73.71", "11.01"], interval_s=5, port=9
    )

    config = yaml.safe_load(text)
    assert config["storage"] == {"type": "memory"}
    assert config["web"]["port"] == 9
    assert [endpoint["name"] for endpoint in config["endpoints"]] == ["73.71", "11.01"]
    first = config["endpoints"][0]
    assert first["url"] == "http://127.0.0.1:8090/regions/73.71/health"
    assert (first["interval"], first["client"]["timeout"]) == ("5s", "3s")
    assert first["conditions"] == ["[STATUS] == 200"]
