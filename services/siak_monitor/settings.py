"""The monitor's configuration: a YAML file (`MONITOR_CONFIG_FILE`) under `MONITOR_*` overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from services.siak_monitor.domain.health import HealthThresholds
from services.siak_monitor.domain.probe import ProbeTarget
from services.siak_monitor.maintenance_requests import (
    FileMaintenance,
    InvalidMaintenanceError,
    plan_from_request,
)
from services.siak_monitor.monitoring import Schedule
from shared.events.central_status import TARGET_NAME_PATTERN
from shared.events.status import REGION_CODE_PATTERN
from shared.http_limits import DEFAULT_MAX_BODY_BYTES
from shared.regions import Region, RegionSpecError, UnknownRegionError, select_regions
from shared.settings import KafkaSettings, describe_invalid

CONFIG_FILE_VARIABLE = "MONITOR_CONFIG_FILE"
PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)
"""The variables through which httpx (the probes' client before decision 20) took a proxy."""
HttpStatus = Annotated[int, Field(ge=100, le=599)]
RegionCode = Annotated[str, Field(pattern=REGION_CODE_PATTERN)]
HTTP_URL = r"^https?://\S+$"


class ConfigFileError(ValueError):
    """The file named by `MONITOR_CONFIG_FILE` cannot be read as the monitor's configuration."""


class TargetOverride(BaseModel):
    """One region's probe where it differs from the template and the defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    url: str | None = Field(default=None, pattern=HTTP_URL)
    expected_status: HttpStatus | None = None
    body_contains: str | None = Field(default=None, min_length=1)
    timeout_s: float | None = Field(default=None, gt=0, le=300)
    degraded_latency_ms: float | None = Field(default=None, gt=0, le=300_000)


class ParentTarget(BaseModel):
    """What every watched region depends on (central SIAK, the data centre health URL)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(default="central", pattern=TARGET_NAME_PATTERN)
    url: str = Field(pattern=HTTP_URL)
    expected_status: HttpStatus = 200
    body_contains: str | None = Field(default=None, min_length=1)
    timeout_s: float | None = Field(
        default=None, gt=0, le=300, description="default probe_timeout_s"
    )


class MonitorSettings(BaseSettings):
    """Sources, strongest first: arguments, the environment (`MONITOR_` prefix, `__` between
    nested names such as `MONITOR_PARENT__URL`), the YAML file, the defaults. Every number is
    finite and bounded: infinity, NaN or 1e300 would lift a timeout or overflow a `timedelta`
    long after start."""

    model_config = SettingsConfigDict(
        env_prefix="MONITOR_", env_nested_delimiter="__", extra="forbid", allow_inf_nan=False
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8081, ge=1, le=65535)
    monitor_id: str = Field(default="siak-monitor", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    watch: str = Field(default="73", description="`*`, province codes or region codes")
    probe_url_template: str = Field(
        default="http://127.0.0.1:8090/regions/{region}/health",
        pattern=HTTP_URL,
        description="SIAK health URL of a region; `{region}` is replaced by its code",
    )
    probe_expected_status: HttpStatus = 200
    probe_body_contains: str | None = Field(default=None, min_length=1)
    probe_timeout_s: float = Field(default=3.0, gt=0, le=300)
    degraded_latency_ms: float = Field(default=2000.0, gt=0, le=300_000)
    probe_interval_s: float = Field(default=5.0, gt=0, le=3600)
    probe_jitter_s: float = Field(default=0.5, ge=0, le=3600)
    max_concurrent_probes: int = Field(default=64, ge=1, le=10_000)
    failure_threshold: int = Field(default=3, ge=1, le=1000)
    success_threshold: int = Field(default=2, ge=1, le=1000)
    flap_window_s: float = Field(default=1800.0, gt=0, le=604_800)
    max_success_threshold: int | None = Field(
        default=None, ge=1, le=1000, description="longest success run a flapping region needs"
    )
    overrun_extension_s: float = Field(default=1800.0, gt=0, le=86_400)
    targets: dict[RegionCode, TargetOverride] = Field(default_factory=dict)
    parent: ParentTarget | None = None
    maintenance: list[FileMaintenance] = Field(default_factory=list)
    heartbeat_period_s: float = Field(default=10.0, gt=0, le=600)
    tick_period_s: float = Field(default=1.0, gt=0, le=600)
    history_size: int = Field(default=50, ge=1, le=10_000)
    publish_request_timeout_ms: int = Field(default=10_000, ge=100, le=300_000)
    publish_retry_max_s: float = Field(
        default=5.0, gt=0, le=3600, description="longest wait between attempts while Kafka is away"
    )
    task_unhealthy_after_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="`/readyz` answers 503 once a background task has failed for this long",
    )
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES,
        ge=1024,
        le=64 * 1024 * 1024,
        description="larger request bodies are refused with 413 before they are parsed",
    )
    ownership_group: str = Field(
        default="siak-monitor",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="consumer group of the replicas; the one assigned the shard publishes",
    )
    ownership_session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        le=1_800_000,
        description="silence after which another replica takes the shard over",
    )
    admin_token: SecretStr = SecretStr("")
    chaos_clock_offset_file: Path | None = Field(
        default=None,
        description="chaos testing only: a file whose seconds are added to the monitor's clock,"
        " read at every reading so a test can step the clock of the running monitor",
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = os.environ.get(CONFIG_FILE_VARIABLE)
        if not config_file:
            return init_settings, env_settings
        yaml_file = _readable_config_file(Path(config_file))
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file)

    @field_validator("watch")
    @classmethod
    def _known_regions(cls, watch: str) -> str:
        try:
            select_regions(watch)
        except (RegionSpecError, UnknownRegionError) as error:
            raise ValueError(str(error)) from None
        return watch

    @field_validator("probe_url_template")
    @classmethod
    def _has_region_placeholder(cls, template: str) -> str:
        if "{region}" not in template:
            raise ValueError("must contain {region}, replaced by each region's code")
        return template

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.probe_jitter_s >= self.probe_interval_s:
            raise ValueError("probe_jitter_s: must be less than probe_interval_s")
        bound = self.max_success_threshold
        if bound is not None and bound < self.success_threshold:
            raise ValueError("max_success_threshold: must be at least success_threshold")
        unwatched = sorted(set(self.targets) - set(self.region_zones()))
        if unwatched:
            raise ValueError(f"targets: not watched: {', '.join(unwatched)}")
        self._check_maintenance()
        return self

    def _check_maintenance(self) -> None:
        zones = self.region_zones()
        seen: set[str] = set()
        for index, entry in enumerate(self.maintenance):
            if entry.id in seen:
                raise ValueError(f"maintenance.{index}.id: {entry.id} appears twice")
            seen.add(entry.id)
            try:
                plan_from_request(entry, entry.id, zones)
            except InvalidMaintenanceError as error:
                raise ValueError(f"maintenance.{index}.{error.field}: {error.message}") from None

    def watched_regions(self) -> list[Region]:
        return select_regions(self.watch)

    def region_zones(self) -> dict[str, tzinfo]:
        return {region.code: region.timezone.tzinfo for region in self.watched_regions()}

    def thresholds_for(self, region_code: str | None = None) -> HealthThresholds:
        override = self.targets.get(region_code) if region_code else None
        degraded = override.degraded_latency_ms if override else None
        return HealthThresholds(
            failure_threshold=self.failure_threshold,
            success_threshold=self.success_threshold,
            degraded_latency_ms=degraded or self.degraded_latency_ms,
            flap_window=timedelta(seconds=self.flap_window_s),
            max_success_threshold=self.max_success_threshold,
            overrun_extension=timedelta(seconds=self.overrun_extension_s),
        )

    def target_for(self, region_code: str) -> ProbeTarget:
        override = self.targets.get(region_code) or TargetOverride()
        return ProbeTarget(
            name=region_code,
            url=override.url or self.probe_url_template.format(region=region_code),
            expected_status=override.expected_status or self.probe_expected_status,
            body_contains=override.body_contains or self.probe_body_contains,
            timeout_s=override.timeout_s or self.probe_timeout_s,
        )

    def parent_target(self) -> ProbeTarget | None:
        if self.parent is None:
            return None
        return ProbeTarget(
            name=self.parent.name,
            url=self.parent.url,
            expected_status=self.parent.expected_status,
            body_contains=self.parent.body_contains,
            timeout_s=self.parent.timeout_s or self.probe_timeout_s,
        )

    def shard_transactional_id(self) -> str:
        """The stable transactional id of the one shard: whoever claims it fences the rest."""
        return f"{self.ownership_group}.shard-0"

    def schedule(self) -> Schedule:
        return Schedule(
            probe_interval_s=self.probe_interval_s,
            probe_jitter_s=self.probe_jitter_s,
            max_concurrent_probes=self.max_concurrent_probes,
            heartbeat_period_s=self.heartbeat_period_s,
            tick_period_s=self.tick_period_s,
            publish_retry_s=min(0.5, self.publish_retry_max_s),
            max_publish_retry_s=self.publish_retry_max_s,
        )


def _readable_config_file(path: Path) -> Path:
    if not path.is_file():
        raise ConfigFileError(f"{CONFIG_FILE_VARIABLE}={path}: no such file")
    return path


def proxy_refusal(environ: Mapping[str, str]) -> str | None:
    """Why the monitor must not start, when the environment names a proxy: its probes
    connect directly (decision 20), where httpx went through that proxy. Starting anyway
    would probe another path than the one configured, and say nothing."""
    named = [name for name in PROXY_VARIABLES if environ.get(name)]
    if not named:
        return None
    return (
        f"invalid configuration: {', '.join(named)}: the monitor's probes do not go through "
        f"a proxy; unset {'it' if len(named) == 1 else 'them'} for the monitor, which "
        "reaches SIAK directly"
    )


def describe_invalid_settings(error: ValidationError | ConfigFileError) -> str:
    """One line per problem, each naming the setting."""
    if isinstance(error, ConfigFileError):
        return f"invalid configuration: {error}"
    return describe_invalid(error, lambda location: ".".join(str(part) for part in location))
