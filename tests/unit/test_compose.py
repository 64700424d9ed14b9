"""deploy/compose.yaml: valid Compose, and every image, command, variable and file in it real.

No container engine runs here: the file is loaded by compose-go (what Docker Compose itself
uses, with the Compose Specification's JSON Schema), then checked against this repository.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic_settings import BaseSettings

from services.queue_gate.settings import GateSettings
from services.siak_monitor.settings import CONFIG_FILE_VARIABLE, MonitorSettings
from shared.settings import DatabaseSettings
from tests.support.ops_tools import REPO, ops_tool, run_ops_tool
from tests.support.settings_variables import settings_variables

DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
MAKE_SECRETS = DEPLOY / "compose" / "make-secrets.sh"
WITH_SECRETS = DEPLOY / "compose" / "with-secrets.sh"
CONTAINERFILE = DEPLOY / "container" / "Containerfile"
SIMULATOR_MAIN = REPO / "services" / "siak_sim" / "__main__.py"
OUR_IMAGE_SERVICES = {"migrate", "siak-monitor", "queue-gate", "siak-sim"}
SETTINGS: dict[str, type[BaseSettings]] = {
    "migrate": DatabaseSettings,
    "siak-monitor": MonitorSettings,
    "queue-gate": GateSettings,
}

Service = dict[str, Any]


def _load(*profiles: str) -> dict[str, Any]:
    """The project as Docker Compose would resolve it, with no variables set by the caller."""
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    output = run_ops_tool("composecheck", COMPOSE_FILE, *profiles, env=environment)
    project: dict[str, Any] = json.loads(output)
    return project


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return _load("dev")


@pytest.fixture(scope="module")
def services(project: dict[str, Any]) -> dict[str, Service]:
    found: dict[str, Service] = project["services"]
    return found


def _command_module(service: Service) -> str:
    command = service["command"]
    assert command[:2] == ["python", "-m"], command
    module: str = command[2]
    return module


def _variables(service: Service) -> set[str]:
    """What the service's process finds in its environment: variables and secrets' names."""
    secrets = {secret["target"] for secret in service.get("secrets", [])}
    return set(service.get("environment", {})) | secrets


def _mounted_files(project: dict[str, Any], service: Service) -> dict[str, Path]:
    """Each config's path in the container, to the file on this machine it comes from."""
    return {
        config["target"]: Path(project["configs"][config["source"]]["file"])
        for config in service.get("configs", [])
    }


def _written_secrets(directory: Path) -> dict[str, str]:
    script = directory / "make-secrets.sh"
    shutil.copy(MAKE_SECRETS, script)
    subprocess.run(["sh", script], check=True, capture_output=True, timeout=30)
    return {path.name: path.read_text() for path in (directory / "secrets").iterdir()}


def test_the_compose_file_loads_as_docker_compose_loads_it() -> None:
    default = _load()
    dev = _load("dev")
    assert set(default["services"]) == {"kafka", "postgres", *SETTINGS}
    assert set(dev["services"]) == {*default["services"], "siak-sim"}


def test_a_broken_compose_file_is_refused(tmp_path: Path) -> None:
    """The checker really validates: a condition the specification lacks fails the load."""
    broken = tmp_path / "compose.yaml"
    text = COMPOSE_FILE.read_text().replace("service_completed_successfully", "service_done")
    broken.write_text(text)
    result = subprocess.run(
        [ops_tool("composecheck"), broken],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "condition" in result.stderr


def test_kafka_4_in_kraft_mode_and_postgresql_from_their_official_images(
    services: dict[str, Service],
) -> None:
    kafka = services["kafka"]
    assert re.fullmatch(r"apache/kafka:4\.\d+\.\d+", kafka["image"])
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "KAFKA_ZOOKEEPER_CONNECT" not in kafka["environment"]
    assert re.fullmatch(r"postgres:\d+\.\d+", services["postgres"]["image"])


def test_our_services_build_the_repository_image(services: dict[str, Service]) -> None:
    for name in OUR_IMAGE_SERVICES:
        build = services[name]["build"]
        assert Path(build["context"]) == REPO, name
        assert (REPO / build["dockerfile"]) == CONTAINERFILE, name
    assert len({services[name]["image"] for name in OUR_IMAGE_SERVICES}) == 1


@pytest.mark.parametrize("name", sorted(OUR_IMAGE_SERVICES))
def test_commands_run_modules_of_this_repository(services: dict[str, Service], name: str) -> None:
    module = _command_module(services[name])
    spec = importlib.util.find_spec(module)
    assert spec is not None, module
    if spec.submodule_search_locations is not None:
        assert importlib.util.find_spec(f"{module}.__main__") is not None, module


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_variable_is_one_the_service_reads(services: dict[str, Service], name: str) -> None:
    known = settings_variables(SETTINGS[name]) | {CONFIG_FILE_VARIABLE}
    assert _variables(services[name]) - known == set()


def test_the_simulator_variables_are_the_ones_it_reads(services: dict[str, Service]) -> None:
    source = SIMULATOR_MAIN.read_text()
    for variable in services["siak-sim"]["environment"]:
        assert f'"{variable}"' in source, variable


def test_mounted_files_exist_and_make_secrets_writes_every_secret_file(
    project: dict[str, Any], tmp_path: Path
) -> None:
    for config in project["configs"].values():
        assert Path(config["file"]).is_file(), config
    for secret in project["secrets"].values():
        assert Path(secret["file"]).parent == MAKE_SECRETS.parent / "secrets"
    named = {Path(secret["file"]).name for secret in project["secrets"].values()}
    assert named == set(_written_secrets(tmp_path))


def test_the_gate_and_the_monitor_start_with_the_compose_configuration(
    project: dict[str, Any],
    services: dict[str, Service],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = _written_secrets(tmp_path)
    for name in ("queue-gate", "siak-monitor", "migrate"):
        for variable in list(os.environ):
            if variable.startswith(("GATE_", "MONITOR_", "KAFKA_", "DATABASE_")):
                monkeypatch.delenv(variable)
        service = services[name]
        for variable, value in service.get("environment", {}).items():
            monkeypatch.setenv(variable, value)
        for secret in service.get("secrets", []):
            monkeypatch.setenv(secret["target"], secrets[secret["source"]])
        if CONFIG_FILE_VARIABLE in service.get("environment", {}):
            mounted = _mounted_files(project, service)
            monkeypatch.setenv(CONFIG_FILE_VARIABLE, str(mounted[os.environ[CONFIG_FILE_VARIABLE]]))
        SETTINGS[name]()


def test_make_secrets_writes_each_secret_once(tmp_path: Path) -> None:
    first = _written_secrets(tmp_path)
    second = _written_secrets(tmp_path)
    assert first == second
    password = first["postgres_password"]
    assert first["database_url"] == f"postgresql://siak_gate:{password}@postgres:5432/siak_gate"
    assert len(set(first.values())) == len(first)


def test_secrets_reach_the_command_as_variables(tmp_path: Path) -> None:
    (tmp_path / "GATE_API_KEY").write_text("key-one")
    (tmp_path / "DATABASE_URL").write_text("postgresql://u:p@postgres/db")
    result = subprocess.run(
        ["sh", WITH_SECRETS, "sh", "-c", 'echo "$GATE_API_KEY $DATABASE_URL"'],
        env={"PATH": os.environ["PATH"], "SECRETS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert result.stdout.strip() == "key-one postgresql://u:p@postgres/db"


def test_every_service_using_secrets_goes_through_the_wrapper(
    project: dict[str, Any], services: dict[str, Service]
) -> None:
    for name in SETTINGS:
        service = services[name]
        entrypoint = service["entrypoint"]
        assert entrypoint[0] == "/bin/sh"
        assert _mounted_files(project, service)[entrypoint[1]] == WITH_SECRETS


def test_the_gate_waits_for_the_broker_the_database_and_the_migration(
    services: dict[str, Service],
) -> None:
    gate = services["queue-gate"]["depends_on"]
    assert gate["migrate"]["condition"] == "service_completed_successfully"
    assert gate["kafka"]["condition"] == gate["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    assert services["queue-gate"]["environment"]["GATE_MIGRATE_ON_START"] == "false"
    for service in services.values():
        for dependency, condition in service.get("depends_on", {}).items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency


@pytest.mark.parametrize(
    ("name", "port_variable", "path"),
    [
        ("queue-gate", "GATE_PORT", "/readyz"),
        ("siak-monitor", "MONITOR_PORT", "/readyz"),
        ("siak-sim", "SIAK_SIM_PORT", "/healthz"),
    ],
)
def test_healthchecks_ask_the_port_the_service_listens_on(
    services: dict[str, Service], name: str, port_variable: str, path: str
) -> None:
    service = services[name]
    (url,) = re.findall(
        r"http://127\.0\.0\.1:(\d+)(/\w+)", " ".join(service["healthcheck"]["test"])
    )
    assert url == (service["environment"][port_variable], path)
    assert {port["target"] for port in service["ports"]} == {int(url[0])}
