"""Settings both services read the same way: where Kafka and PostgreSQL are, and how to reach
Kafka securely."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import Field, FilePath, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.topics import min_insync_replicas

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_SSL"]
"""No SASL_PLAINTEXT: a password is never sent over an unencrypted connection."""

KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


class _ByVariableNames(BaseSettings):
    """Settings read by their environment variables' names only: by field name, OpenSSL's
    SSL_CERT_FILE would be taken for the client certificate, a stray URL for the database. A
    value given by field name is refused rather than silently ignored."""

    model_config = SettingsConfigDict(extra="ignore", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_field_names(cls, values: Any) -> Any:
        if isinstance(values, Mapping):
            by_field_name = sorted(
                name
                for name, field in cls.model_fields.items()
                if name in values and field.validation_alias != name
            )
            if by_field_name:
                raise ValueError(
                    f"give {', '.join(by_field_name)} by the environment variable's name"
                )
        return values


class KafkaSettings(_ByVariableNames):
    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS", min_length=1
    )
    security_protocol: KafkaSecurityProtocol = Field(
        default="PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    sasl_mechanism: KafkaSaslMechanism = Field(
        default="SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    sasl_username: str | None = Field(
        default=None, validation_alias="KAFKA_SASL_USERNAME", min_length=1
    )
    sasl_password: SecretStr | None = Field(default=None, validation_alias="KAFKA_SASL_PASSWORD")
    ssl_ca_file: FilePath | None = Field(
        default=None,
        validation_alias="KAFKA_SSL_CA_FILE",
        description="PEM certificates to trust; the system's trusted CAs when unset",
    )
    ssl_cert_file: FilePath | None = Field(default=None, validation_alias="KAFKA_SSL_CERT_FILE")
    ssl_key_file: FilePath | None = Field(default=None, validation_alias="KAFKA_SSL_KEY_FILE")
    ssl_key_password: SecretStr | None = Field(
        default=None, validation_alias="KAFKA_SSL_KEY_PASSWORD"
    )

    topic_replication_factor: int = Field(
        default=1,
        ge=1,
        le=16,
        validation_alias="KAFKA_TOPIC_REPLICATION_FACTOR",
        description="replicas of each topic the services create (3 on a production cluster)",
    )

    @property
    def topic_min_insync_replicas(self) -> int:
        return min_insync_replicas(self.topic_replication_factor)

    @classmethod
    def plaintext(cls, bootstrap_servers: str) -> KafkaSettings:
        """An unsecured connection, as to the local stack's broker."""
        return cls.model_validate(
            {"KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers, "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}
        )

    @model_validator(mode="after")
    def _complete_for_its_protocol(self) -> KafkaSettings:
        if self.security_protocol == "SASL_SSL" and (
            self.sasl_username is None or not self.sasl_password
        ):
            raise ValueError(
                "KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        if (self.ssl_cert_file is None) != (self.ssl_key_file is None):
            raise ValueError("KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together")
        tls_files = (self.ssl_ca_file, self.ssl_cert_file)
        if self.security_protocol == "PLAINTEXT" and any(f is not None for f in tls_files):
            raise ValueError("TLS files are set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT")
        return self


class DatabaseSettings(_ByVariableNames):
    url: str = Field(
        default="postgresql://postgres@127.0.0.1:5433/siak_gate",
        validation_alias="DATABASE_URL",
        pattern=r"^postgres(ql)?://",
    )


def describe_invalid(error: ValidationError, name: Callable[[tuple[int | str, ...]], str]) -> str:
    """One line per problem, each naming what to put right (`name` turns a problem's location
    into the service's word for it; an empty name leaves it to the message)."""
    lines = []
    for problem in error.errors():
        where = name(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"invalid configuration: {where + ': ' if where else ''}{message}")
    return "\n".join(lines)
