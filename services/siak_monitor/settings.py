"""The monitor's configuration, from the environment (prefix `MONITOR_`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import KafkaSettings


class MonitorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8081, ge=1, le=65535)
    monitor_id: str = "siak-monitor"
    watch: str = Field(default="73", description="`*`, province codes or region codes")
    probe_url_template: str = Field(
        default="http://127.0.0.1:8090/regions/{region}/health",
        description="SIAK health URL of a region; `{region}` is replaced by its code",
    )
    probe_timeout_s: float = Field(default=3.0, gt=0)
    probe_interval_s: float = Field(default=5.0, gt=0)
    probe_jitter_s: float = Field(default=0.5, ge=0)
    max_concurrent_probes: int = Field(default=64, ge=1)
    failure_threshold: int = Field(default=3, ge=1)
    success_threshold: int = Field(default=2, ge=1)
    degraded_latency_ms: float = Field(default=2000.0, gt=0)
    heartbeat_period_s: float = Field(default=10.0, gt=0)
    admin_token: SecretStr = SecretStr("")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
