"""deploy/k8s rendered by kustomize: valid against Kubernetes' schemas, policies and autoscaler
wired to the pods and ports that exist.

The schemas are those of Kubernetes KUBERNETES_VERSION, shipped in the kubernetes-validate
package (PyPI), so nothing is downloaded while testing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.support.kustomize import K8S, Manifest, find, kustomizations, of_kind, rendered

KUBERNETES_VERSION = "1.35.0"
"""The oldest minor release Kubernetes still supports when this was written."""
CUSTOM_RESOURCE_GROUPS = {
    # ServiceMonitor and PrometheusRule: checked in tests/unit/test_k8s_monitoring.py.
    "monitoring.coreos.com",
    # Strimzi's KafkaTopic and KafkaUser (deploy/k8s/kafka/), outside Kubernetes' schemas.
    "kafka.strimzi.io",
}
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "production-example"
NETWORK_PEERS = K8S / "components" / "network-peers"


def _group(manifest: Manifest) -> str:
    api_version: str = manifest["apiVersion"]
    return api_version.rpartition("/")[0]


def _label(path: Path) -> str:
    return str(path.relative_to(K8S))


def _pods(manifests: tuple[Manifest, ...]) -> list[Manifest]:
    return [m["spec"]["template"] for m in manifests if m["kind"] in {"Deployment", "Job"}]


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


def _container_ports(pod: Manifest) -> set[int]:
    return {port["containerPort"] for c in pod["spec"]["containers"] for port in c.get("ports", [])}


def test_every_kustomization_is_found() -> None:
    found = {_label(path) for path in kustomizations()}
    assert {"base", "migration", "monitoring", "overlays/production-example"} <= found


@pytest.mark.parametrize("directory", kustomizations(), ids=_label)
def test_rendered_objects_are_valid_kubernetes_objects(directory: Path) -> None:
    manifests = rendered(directory)
    assert manifests
    for manifest in manifests:
        if _group(manifest) in CUSTOM_RESOURCE_GROUPS:
            continue
        try:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            name = f"{manifest['kind']} {manifest['metadata']['name']}"
            raise AssertionError(f"{_label(directory)}: {name}: {error.message}") from None


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    """Strict: a field Kubernetes does not know fails, as `kubectl apply` would refuse it."""
    hpa = dict(find(rendered(BASE), "HorizontalPodAutoscaler", "queue-gate"))
    hpa["spec"] = {**hpa["spec"], "minReplica": 2}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("directory", [BASE, OVERLAY], ids=_label)
def test_everything_but_the_allowed_is_denied(directory: Path) -> None:
    default = find(rendered(directory), "NetworkPolicy", "default-deny")
    assert default["spec"]["podSelector"] == {}
    assert set(default["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in default["spec"] and "egress" not in default["spec"]


@pytest.mark.parametrize("directory", [BASE, OVERLAY], ids=_label)
def test_every_policy_selects_pods_and_opens_only_their_ports(directory: Path) -> None:
    manifests = rendered(directory)
    pods = [*_pods(manifests), *_pods(rendered(K8S / "migration"))]
    for policy in of_kind(manifests, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"]
        if not selector:
            continue
        selected = [p for p in pods if _selects(selector, p["metadata"]["labels"])]
        assert selected, policy["metadata"]["name"]
        for rule in policy["spec"].get("ingress", []):
            opened = {port["port"] for port in rule["ports"]}
            assert opened == set().union(*map(_container_ports, selected)), policy
        for rule in policy["spec"].get("egress", []):
            for peer in rule.get("to", []):
                targets = [
                    p for p in pods if _selects(peer["podSelector"], p["metadata"]["labels"])
                ]
                opened = {port["port"] for port in rule["ports"]}
                assert targets and opened <= set().union(*map(_container_ports, targets)), rule


def test_the_gate_may_reach_the_monitor_api_and_its_dependencies() -> None:
    egress = find(rendered(BASE), "NetworkPolicy", "queue-gate-egress")["spec"]["egress"]
    ports = {port["port"] for rule in egress for port in rule["ports"]}
    assert {53, 5432, 9092, 443, 8081} <= ports
    monitor = find(rendered(BASE), "NetworkPolicy", "siak-monitor-ingress")["spec"]["ingress"]
    sources = [peer for rule in monitor for peer in rule["from"]]
    assert {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "queue-gate"}}} in sources


def _admitted_namespaces(manifests: tuple[Manifest, ...]) -> dict[str, set[str]]:
    """Per policy, the namespaces (by name) its ingress rules admit from."""
    admitted: dict[str, set[str]] = {}
    for policy in of_kind(manifests, "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            for peer in rule["from"]:
                if "namespaceSelector" in peer:
                    labels = peer["namespaceSelector"]["matchLabels"]
                    names = admitted.setdefault(policy["metadata"]["name"], set())
                    names.add(labels["kubernetes.io/metadata.name"])
    return admitted


def _peers(overlay: Path) -> dict[str, str]:
    data: dict[str, str] = yaml.safe_load((overlay / "network-peers.yaml").read_text())["data"]
    return data


def test_the_overlay_names_the_namespaces_its_policies_admit_from() -> None:
    peers = _peers(OVERLAY)

    admitted = _admitted_namespaces(rendered(OVERLAY))

    both = {peers["ingress-namespace"], peers["prometheus-namespace"]}
    assert admitted == {"queue-gate-ingress": both, "siak-monitor-ingress": both}


def test_an_overlay_of_other_namespaces_admits_from_those_alone(tmp_path: Path) -> None:
    """An environment whose ingress controller and Prometheus live elsewhere sets their
    namespaces in one file; its own namespace is the kustomization's, whatever it is."""
    overlay = tmp_path / "elsewhere"
    overlay.mkdir()
    (overlay / "network-peers.yaml").write_text(
        (OVERLAY / "network-peers.yaml")
        .read_text()
        .replace(_peers(OVERLAY)["ingress-namespace"], "traefik")
        .replace(_peers(OVERLAY)["prometheus-namespace"], "observability")
    )
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": "registry-gate",
        "resources": [os.path.relpath(BASE, overlay), "network-peers.yaml"],
        "components": [os.path.relpath(NETWORK_PEERS, overlay)],
    }
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))

    manifests = rendered(overlay)

    both = {"traefik", "observability"}
    assert _admitted_namespaces(manifests) == {
        "queue-gate-ingress": both,
        "siak-monitor-ingress": both,
    }
    assert {m["metadata"].get("namespace") for m in manifests} == {"registry-gate", None}
    assert find(manifests, "Namespace", "registry-gate")
    assert not [m for m in manifests if m["metadata"]["name"] == "network-peers"]


@pytest.mark.parametrize("directory", [BASE, OVERLAY], ids=_label)
def test_the_autoscaler_alone_sets_the_gate_replicas(directory: Path) -> None:
    manifests = rendered(directory)
    hpa = find(manifests, "HorizontalPodAutoscaler", "queue-gate")["spec"]
    target = find(manifests, hpa["scaleTargetRef"]["kind"], hpa["scaleTargetRef"]["name"])
    assert "replicas" not in target["spec"]  # `kubectl apply` would undo each scaling
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    (container,) = target["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["requests"]["cpu"]  # utilisation is a share of the request
    assert find(manifests, "PodDisruptionBudget", "queue-gate")["spec"]["maxUnavailable"] == 1
