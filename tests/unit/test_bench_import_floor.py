"""The import floors under siak_monitor's memory: each layer names modules that exist, and a
process reports what importing them left it holding."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from bench import import_floor


def test_every_layer_names_modules_that_can_be_imported() -> None:
    for modules in import_floor.LAYERS.values():
        for module in modules:
            assert importlib.util.find_spec(module) is not None, module


def test_the_floor_is_reported_after_the_imports(capsys: pytest.CaptureFixture[str]) -> None:
    import_floor.main(["colorsys"])

    floor = json.loads(capsys.readouterr().out)
    assert "colorsys" in sys.modules
    assert floor["modules"] > 1
    assert floor["pss_bytes"] == pytest.approx(import_floor.proportional_set_size(), rel=0.5)
