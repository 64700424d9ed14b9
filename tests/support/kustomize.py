"""deploy/k8s rendered by kustomize, as `kubectl apply -k` would send it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from tests.support.ops_tools import REPO, run_ops_tool

K8S = REPO / "deploy" / "k8s"

Manifest = dict[str, Any]


def kustomizations() -> list[Path]:
    """Every directory `kubectl apply -k` can be pointed at (components are parts of others)."""
    found = []
    for path in sorted(K8S.rglob("kustomization.yaml")):
        if yaml.safe_load(path.read_text(encoding="utf-8"))["kind"] == "Kustomization":
            found.append(path.parent)
    return found


@functools.cache
def rendered(directory: Path) -> tuple[Manifest, ...]:
    output = run_ops_tool("kustomize", "build", directory)
    return tuple(doc for doc in yaml.safe_load_all(output) if doc is not None)


def find(manifests: tuple[Manifest, ...], kind: str, name: str) -> Manifest:
    for manifest in manifests:
        if manifest["kind"] == kind and manifest["metadata"]["name"] == name:
            return manifest
    raise AssertionError(f"no {kind} {name}")


def of_kind(manifests: tuple[Manifest, ...], kind: str) -> list[Manifest]:
    return [manifest for manifest in manifests if manifest["kind"] == kind]
