"""The Kubernetes manifests in deploy/k8s: well formed, wired together, true to the settings."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings

from services.queue_gate.settings import GateSettings
from services.siak_monitor.settings import CONFIG_FILE_VARIABLE, MonitorSettings
from shared.topics import TOPICS
from tests.support.settings_variables import settings_variables

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
MIGRATION = K8S / "migration"
SECRET_TEMPLATES = K8S / "secrets"
OVERLAY = K8S / "overlays" / "production-example"
PLACEHOLDER = "REPLACE_ME"
SHARED_VARIABLES = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")

Manifest = dict[str, Any]


def _documents(path: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def _yaml_files() -> list[Path]:
    return sorted(K8S.rglob("*.yaml"))


def _kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def _secret_templates() -> list[Manifest]:
    return [doc for path in sorted(SECRET_TEMPLATES.glob("*.yaml")) for doc in _documents(path)]


def _references(kustomization: Manifest) -> list[str]:
    patches = [patch["path"] for patch in kustomization.get("patches", []) if "path" in patch]
    return [*kustomization.get("resources", []), *kustomization.get("components", []), *patches]


def _applied_by(directory: Path) -> Iterator[Manifest]:
    """What `kubectl apply -k directory` sends, before patches and transformers."""
    (kustomization,) = _documents(directory / "kustomization.yaml")
    for entry in [*kustomization.get("resources", []), *kustomization.get("components", [])]:
        target = directory / entry
        if target.is_dir():
            yield from _applied_by(target)
        else:
            yield from _documents(target)


def _manifests() -> list[Manifest]:
    """Every object once, as written before an overlay patches it."""
    return [*_applied_by(BASE), *_applied_by(MIGRATION), *_secret_templates()]


def _find(kind: str, name: str, manifests: list[Manifest] | None = None) -> Manifest:
    for manifest in _manifests() if manifests is None else manifests:
        if manifest["kind"] == kind and manifest["metadata"]["name"] == name:
            return manifest
    raise AssertionError(f"no {kind} {name} in {K8S}")


def _pod(workload: Manifest) -> Manifest:
    pod: Manifest = workload["spec"]["template"]["spec"]
    return pod


def _container(workload: Manifest) -> Manifest:
    (container,) = _pod(workload)["containers"]
    assert isinstance(container, dict)
    return container


def _workloads() -> list[Manifest]:
    return [m for m in _manifests() if m["kind"] in {"Deployment", "Job"}]


def _environment(workload: Manifest) -> dict[str, str]:
    """Every variable the container sees, placeholders for the secret ones."""
    container = _container(workload)
    variables: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            variables |= _find("ConfigMap", source["configMapRef"]["name"])["data"]
        if "secretRef" in source:
            variables |= _find("Secret", source["secretRef"]["name"])["stringData"]
    for entry in container.get("env", []):
        variables[entry["name"]] = entry.get("value", PLACEHOLDER)
    return variables


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith(("GATE_", "MONITOR_")) or name in SHARED_VARIABLES:
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda path: str(path.relative_to(K8S)))
def test_every_manifest_parses_into_kubernetes_objects(path: Path) -> None:
    documents = _documents(path)
    assert documents
    for document in documents:
        assert {"apiVersion", "kind"} <= document.keys()


@pytest.mark.parametrize("path", _kustomizations(), ids=lambda path: str(path.relative_to(K8S)))
def test_every_file_a_kustomization_names_exists(path: Path) -> None:
    (kustomization,) = _documents(path)
    for entry in _references(kustomization):
        target = path.parent / entry
        assert target.is_file() or (target / "kustomization.yaml").is_file(), entry


def test_the_overlay_patches_only_what_the_base_defines() -> None:
    (overlay,) = _documents(OVERLAY / "kustomization.yaml")
    base = list(_applied_by(BASE))
    for patch in overlay["patches"]:
        (target,) = _documents(OVERLAY / patch["path"])
        _find(target["kind"], target["metadata"]["name"], base)


@pytest.mark.parametrize("path", _kustomizations(), ids=lambda path: str(path.relative_to(K8S)))
def test_kustomize_never_applies_a_secret(path: Path) -> None:
    assert all(manifest["kind"] != "Secret" for manifest in _applied_by(path.parent))


def test_secrets_hold_placeholders_only() -> None:
    secrets = [doc for path in _yaml_files() for doc in _documents(path) if doc["kind"] == "Secret"]
    assert secrets
    assert all(template["kind"] == "Secret" for template in _secret_templates())
    for secret in secrets:
        assert "data" not in secret, "base64 `data` would hide what a template holds"
        assert set(secret["stringData"].values()) == {PLACEHOLDER}


def test_secret_templates_hold_every_key_the_pods_read() -> None:
    for workload in _workloads():
        container = _container(workload)
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                _find("Secret", source["secretRef"]["name"])
        for entry in container.get("env", []):
            reference = entry.get("valueFrom", {}).get("secretKeyRef")
            if reference:
                assert reference["key"] in _find("Secret", reference["name"])["stringData"]


def _secret_variables(settings: type[BaseSettings], *, required_only: bool = False) -> set[str]:
    prefix = settings.model_config.get("env_prefix") or ""
    secret = (SecretStr, SecretStr | None)
    return {
        f"{prefix}{name}".upper()
        for name, field in settings.model_fields.items()
        if field.annotation in secret and (field.is_required() or not required_only)
    }


def test_secret_templates_cover_every_secret_setting() -> None:
    """Every secret the gate needs, and only secret settings (an optional one may be left
    out: GATE_API_KEY, for one, is for local use)."""
    gate = set(_find("Secret", "queue-gate-secrets")["stringData"]) - {"DATABASE_URL"}
    assert _secret_variables(GateSettings, required_only=True) <= gate
    assert gate <= _secret_variables(GateSettings)
    monitor = set(_find("Secret", "siak-monitor-secrets")["stringData"])
    assert monitor == _secret_variables(MonitorSettings)


@pytest.mark.parametrize(
    ("kind", "name", "patch"),
    [
        ("Deployment", "queue-gate", "queue-gate-config.yaml"),
        ("Job", "queue-gate-migrate", "queue-gate-config.yaml"),
    ],
)
def test_gate_variables_are_gate_settings(kind: str, name: str, patch: str) -> None:
    known = settings_variables(GateSettings)
    assert set(SHARED_VARIABLES) <= known
    assert set(_environment(_find(kind, name))) - known == set()
    (overlay_config,) = _documents(OVERLAY / "patches" / patch)
    assert set(overlay_config["data"]) - known == set()


def test_monitor_variables_are_monitor_settings() -> None:
    known = settings_variables(MonitorSettings) | {CONFIG_FILE_VARIABLE}
    assert set(_environment(_find("Deployment", "siak-monitor"))) - known == set()
    (overlay_config,) = _documents(OVERLAY / "patches" / "siak-monitor-config.yaml")
    assert set(overlay_config["data"]) - known == set()


REAL_GATE_SECRETS = {
    "GATE_API_KEY": "k" * 43,
    "GATE_ADMIN_TOKEN": "a" * 43,
    "GATE_DATA_KEY": "d--t3s8_uKmjih5rEupZVkfZ8Un9fxiOhz7QwcpP0GU=",
    "GATE_APPLICANT_KEY_SECRET": "s" * 43,
    "DATABASE_URL": "postgresql://siak_gate:secret@db:5432/siak_gate?sslmode=require",
}


def test_gate_starts_with_the_configuration_and_real_secrets(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    for name, value in (
        _environment(_find("Deployment", "queue-gate")) | REAL_GATE_SECRETS
    ).items():
        clean_environment.setenv(name, value)
    settings = GateSettings()
    assert (settings.host, settings.port, settings.migrate_on_start) == ("0.0.0.0", 8080, False)


@pytest.mark.parametrize(
    "left_unfilled", ["GATE_DATA_KEY", "GATE_APPLICANT_KEY_SECRET", "DATABASE_URL"]
)
def test_gate_refuses_to_start_on_a_value_left_from_the_template(
    clean_environment: pytest.MonkeyPatch, left_unfilled: str
) -> None:
    environment = _environment(_find("Deployment", "queue-gate")) | REAL_GATE_SECRETS
    for name, value in (environment | {left_unfilled: PLACEHOLDER}).items():
        clean_environment.setenv(name, value)
    with pytest.raises(ValidationError):
        GateSettings()


def test_monitor_starts_with_its_mounted_file(
    clean_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monitor = _find("Deployment", "siak-monitor")
    environment = _environment(monitor)
    config_file = Path(environment[CONFIG_FILE_VARIABLE])
    (mount,) = (m for m in _container(monitor)["volumeMounts"] if m["name"] == "config")
    (volume,) = (v for v in _pod(monitor)["volumes"] if v["name"] == "config")
    assert config_file.parent == Path(mount["mountPath"])
    content = _find("ConfigMap", volume["configMap"]["name"])["data"][config_file.name]
    (tmp_path / config_file.name).write_text(content, encoding="utf-8")
    for name, value in environment.items():
        clean_environment.setenv(name, value)
    clean_environment.setenv(CONFIG_FILE_VARIABLE, str(tmp_path / config_file.name))

    settings = MonitorSettings()

    assert settings.host == "0.0.0.0"
    assert settings.parent is not None
    assert PLACEHOLDER in content, "the SIAK URLs are marked as placeholders"


def test_monitor_file_has_a_weekly_window_in_wita() -> None:
    volume_config = _find("ConfigMap", "siak-monitor-file")["data"]["monitor.yaml"]
    (window,) = (w for w in yaml.safe_load(volume_config)["maintenance"] if w.get("recurrence"))
    assert window["recurrence"] == "weekly"
    assert window["starts_at"].endswith("+08:00") and window["ends_at"].endswith("+08:00")


def test_containers_run_as_non_root_on_a_read_only_root_without_capabilities() -> None:
    for workload in _workloads():
        pod, container = _pod(workload), _container(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["enableServiceLinks"] is False
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert {"requests", "limits"} <= container["resources"].keys()


@pytest.mark.parametrize(
    ("deployment", "module"),
    [("queue-gate", "services.queue_gate"), ("siak-monitor", "services.siak_monitor")],
)
def test_services_run_their_module_probed_on_readyz_and_healthz(
    deployment: str, module: str
) -> None:
    manifest = _find("Deployment", deployment)
    container = _container(manifest)
    assert container["command"] == ["python", "-m", module]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    (port,) = container["ports"]
    assert container["readinessProbe"]["httpGet"]["port"] == port["name"]
    annotations = manifest["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(port["containerPort"])


def test_monitor_runs_two_replicas_on_different_nodes_with_a_budget() -> None:
    monitor = _find("Deployment", "siak-monitor")
    assert monitor["spec"]["replicas"] >= 2
    assert monitor["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    (spread,) = _pod(monitor)["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    assert spread["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert spread["podAffinityTerm"]["labelSelector"] == monitor["spec"]["selector"]
    budget = _find("PodDisruptionBudget", "siak-monitor")
    assert budget["spec"] == {"minAvailable": 1, "selector": monitor["spec"]["selector"]}
    # Every replica names itself in its heartbeats.
    (own_id,) = (e for e in _container(monitor)["env"] if e["name"] == "MONITOR_MONITOR_ID")
    assert own_id["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}


def test_gate_rolls_out_several_replicas_without_losing_capacity() -> None:
    gate = _find("Deployment", "queue-gate")
    assert gate["spec"]["replicas"] >= 2
    assert gate["spec"]["strategy"]["type"] == "RollingUpdate"
    assert gate["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    budget = _find("PodDisruptionBudget", "queue-gate")
    assert budget["spec"]["selector"] == gate["spec"]["selector"]


def test_migration_job_runs_the_migrate_module() -> None:
    job = _find("Job", "queue-gate-migrate")
    assert _container(job)["command"] == ["python", "-m", "services.queue_gate.migrate"]
    assert _pod(job)["restartPolicy"] == "Never"


def test_every_workload_runs_the_image_the_release_sets() -> None:
    (release,) = _documents(OVERLAY / "release" / "kustomization.yaml")
    (image,) = release["images"]
    assert {_container(workload)["image"] for workload in _workloads()} == {image["name"]}


def test_image_installs_the_lock_file_and_runs_as_non_root() -> None:
    containerfile = (DEPLOY / "container" / "Containerfile").read_text(encoding="utf-8")
    assert "uv sync --frozen --no-dev" in containerfile
    users = re.findall(r"^USER\s+(\d+)", containerfile, flags=re.MULTILINE)
    assert users and int(users[-1]) != 0
    assert 'CMD ["python", "-m", "services.queue_gate"]' in containerfile


def test_deploy_readme_lists_every_topic_with_its_cleanup_policy_writer_and_readers() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(" `"): line.split("|")
        for line in readme.splitlines()
        if line.startswith("|")
    }
    for spec in TOPICS:
        assert spec.name in rows, spec.name
        _, _, partitions, cleanup, writers, readers, _ = rows[spec.name]
        assert partitions.strip() == str(spec.partitions)
        assert cleanup.strip().startswith(spec.cleanup_policy.value)
        assert {role.value for role in spec.writers} == {w.strip() for w in writers.split(",")}
        assert all(role.value in readers for role in spec.readers), spec.name
