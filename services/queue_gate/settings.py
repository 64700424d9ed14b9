"""The gate's configuration, from the environment (prefix `GATE_`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DatabaseSettings, KafkaSettings


class GateSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    consumer_group: str = "queue-gate"
    siak_base_url: str = "http://127.0.0.1:8090"
    degraded_is_open: bool = True
    api_key: SecretStr = SecretStr("")
    admin_token: SecretStr = SecretStr("")
    migrate_on_start: bool = True
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
