"""Settings both services read the same way: where Kafka and PostgreSQL are."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS", min_length=1
    )


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    url: str = Field(
        default="postgresql://postgres@127.0.0.1:5433/siak_gate",
        validation_alias="DATABASE_URL",
        pattern=r"^postgres(ql)?://",
    )
