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


async def test_gatus_is_built_from_its_version_without_asking_for_the_version_list(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The proxy here serves Gatus's pinned version but refuses its version list, which
    `go install module@version` asks for: the build must not depend on the list."""
    module_dir = tmp_path / "module"
    module_dir.mkdir()
    tools = tmp_path / "bin"
    tools.mkdir()
    fake_go = tools / "go"
    fake_go.write_text(
        "#!/bin/sh\n"
        'case "$1 $2" in\n'
        f"  'mod download') echo '{{\"Dir\": \"{module_dir}\"}}' ;;\n"
        f'  \'build -o\') [ "$PWD" = "{module_dir}" ] && echo built > "$3" ;;\n'
        "  *) echo 'reading .../gatus/v5/@v/list: 403 Forbidden' >&2; exit 1 ;;\n"
        "esac\n"
    )
    fake_go.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setattr(compiled_baselines, "BUILD_DIR", tmp_path / "build")

    build = await build_gatus()

    assert build.skipped is None
    assert build.executable is not None and build.executable.read_text() == "built\n"


async def test_a_refused_download_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """With -json, `go mod download` tells its error in the JSON on stdout, not on stderr."""
    tools = tmp_path / "bin"
    tools.mkdir()
    fake_go = tools / "go"
    fake_go.write_text(
        '#!/bin/sh\necho \'{"Error": "reading .../v5.35.0.zip: 403 Forbidden"}\'\nexit 1\n'
    )
    fake_go.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setattr(compiled_baselines, "BUILD_DIR", tmp_path / "build")

    build = await build_gatus()

    assert build.executable is None
    assert build.skipped is not None and "v5.35.0.zip: 403 Forbidden" in build.skipped
