"""The monitor's configuration: a YAML file under environment overrides, refused when invalid."""

from __future__ import annotations

from pathlib import Path

import pytest
import uvicorn
from pydantic import ValidationError

from deploy.local.python_service import REPO_ROOT
from services.siak_monitor import __main__ as entrypoint
from services.siak_monitor.settings import (
    CONFIG_FILE_VARIABLE,
    PROXY_VARIABLES,
    ConfigFileError,
    MonitorSettings,
    describe_invalid_settings,
    proxy_refusal,
)

EXAMPLE = REPO_ROOT / "deploy" / "local" / "monitor.example.yaml"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MONITOR_WATCH", "MONITOR_FAILURE_THRESHOLD", CONFIG_FILE_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(text)
    monkeypatch.setenv(CONFIG_FILE_VARIABLE, str(path))


def problems(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    config_file(tmp_path, monkeypatch, text)
    with pytest.raises(ValidationError) as refused:
        MonitorSettings()
    return describe_invalid_settings(refused.value)


def test_the_shipped_example_is_a_valid_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_FILE_VARIABLE, str(EXAMPLE))

    settings = MonitorSettings()

    assert len(settings.watched_regions()) == 24
    assert [plan.id for plan in settings.maintenance] == ["migrasi-2030-01", "backup-mingguan"]
    assert settings.target_for("73.71").timeout_s == 5.0
    assert settings.thresholds_for("73.71").degraded_latency_ms == 3000


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file(tmp_path, monkeypatch, 'watch: "12"\nfailure_threshold: 5\n')
    monkeypatch.setenv("MONITOR_FAILURE_THRESHOLD", "2")
    monkeypatch.setenv("MONITOR_PARENT__URL", "http://dc.example/health")

    settings = MonitorSettings()

    assert (settings.watch, settings.failure_threshold) == ("12", 2)
    parent = settings.parent_target()
    assert parent is not None and (parent.name, parent.url) == (
        "central",
        "http://dc.example/health",
    )


def test_the_variables_the_local_stack_sets_keep_working(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "MONITOR_PORT": "18081",
        "MONITOR_WATCH": "73.71,73.06",
        "MONITOR_PROBE_URL_TEMPLATE": "http://127.0.0.1:18090/regions/{region}/health",
        "MONITOR_ADMIN_TOKEN": "token",
        "MONITOR_PROBE_INTERVAL_S": "0.2",
        "MONITOR_PROBE_JITTER_S": "0.05",
        "MONITOR_FAILURE_THRESHOLD": "2",
        "MONITOR_SUCCESS_THRESHOLD": "2",
        "MONITOR_HEARTBEAT_PERIOD_S": "1",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19092",
    }.items():
        monkeypatch.setenv(name, value)

    settings = MonitorSettings()

    assert settings.port == 18081
    assert settings.target_for("73.71").url == "http://127.0.0.1:18090/regions/73.71/health"
    assert settings.admin_token.get_secret_value() == "token"
    assert settings.schedule().heartbeat_period_s == 1
    assert settings.kafka.bootstrap_servers == "127.0.0.1:19092"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("failure_treshold: 3\n", "failure_treshold: Extra inputs are not permitted"),
        ("watch: '99'\n", "watch: unknown region code: 99"),
        ("probe_url_template: http://siak/health\n", "probe_url_template: must contain {region}"),
        ("probe_interval_s: 1\nprobe_jitter_s: 1\n", "probe_jitter_s: must be less than"),
        ("targets: {'12.01': {timeout_s: 1}}\n", "targets: not watched: 12.01"),
        ("parent: {name: central}\n", "parent.url: Field required"),
        (
            "watch: '73,91'\nmaintenance:\n  - {id: m, regions: '*', reason: r,"
            " starts_at: '2030-01-01T08:00', ends_at: '2030-01-01T09:00',"
            " message: {id: a, en: b}}\n",
            "maintenance.0.starts_at: the regions of this one-off window span several time zones",
        ),
        (
            "maintenance:\n  - {id: m, regions: ['73.71'], reason: r,"
            " starts_at: '2030-01-01T08:00', ends_at: '2030-01-01T07:00',"
            " message: {id: a, en: b}}\n",
            "maintenance.0.ends_at: must be after starts_at",
        ),
    ],
)
def test_invalid_configuration_is_refused_naming_the_setting(
    text: str, named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert named in problems(text, tmp_path, monkeypatch)


def test_a_missing_config_file_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_FILE_VARIABLE, "/nonexistent/monitor.yaml")

    with pytest.raises(ConfigFileError, match=r"MONITOR_CONFIG_FILE=/nonexistent/monitor\.yaml"):
        MonitorSettings()


def started(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Runs the monitor's entry point with the server stubbed out: what it would serve."""
    served: list[object] = []
    monkeypatch.setattr(entrypoint, "create_app", lambda settings: settings)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    entrypoint.main()
    return served


@pytest.mark.parametrize("variable", PROXY_VARIABLES)
def test_the_monitor_refuses_to_start_under_a_proxy_it_would_bypass(
    variable: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # httpx went through the proxy these name; the probes' own client connects directly.
    monkeypatch.setenv(variable, "http://proxy.internal:3128")

    with pytest.raises(SystemExit) as stopped:
        started(monkeypatch)

    assert stopped.value.code == entrypoint.INVALID_CONFIGURATION
    error = capsys.readouterr().err
    assert error.startswith(f"invalid configuration: {variable}: ")
    assert "proxy.internal" not in error


def test_the_monitor_starts_without_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(started(monkeypatch)) == 1


def test_an_empty_proxy_variable_is_no_proxy() -> None:
    assert proxy_refusal({"HTTPS_PROXY": "", "NO_PROXY": "*"}) is None
    refusal = proxy_refusal({"HTTP_PROXY": "http://p:1", "all_proxy": "socks5://p:2"})
    assert refusal is not None and "HTTP_PROXY, all_proxy: " in refusal and "them" in refusal
