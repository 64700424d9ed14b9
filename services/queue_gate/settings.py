"""The gate's configuration, from the environment (prefix `GATE_`)."""

from __future__ import annotations

import base64
import ipaddress
import re
from datetime import timedelta

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.domain.replay_pacing import MIN_RATE, PacingConfig
from shared.settings import DatabaseSettings, KafkaSettings, describe_invalid

_MIN_SECRET_BYTES = 32
_DATA_KEY_BYTES = 32
_DATA_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MAX_WORKERS = 32
DEFAULT_DATA_KEY_ID = "default"
"""The id of the key in `GATE_DATA_KEY`, and of every row sealed before keys had ids."""


class DataKeySettings(BaseSettings):
    """The keys sealing personal data at rest: the gate's, and the re-sealing job's."""

    model_config = SettingsConfigDict(env_prefix="GATE_", extra="ignore")

    data_key: SecretStr | None = Field(
        default=None,
        description=f"base64url of 32 random bytes; the key with id '{DEFAULT_DATA_KEY_ID}'",
    )
    data_keys: SecretStr | None = Field(
        default=None,
        description="more keys, 'id=base64url,id2=base64url': every one is read with",
    )
    data_key_id: str | None = Field(
        default=None,
        description="the id of the key new submissions are sealed with"
        f" (default: '{DEFAULT_DATA_KEY_ID}' when only GATE_DATA_KEY is set)",
    )

    @property
    def data_keyring(self) -> dict[str, bytes]:
        """Every configured data key by its id."""
        keys: dict[str, bytes] = {}
        if self.data_key is not None:
            keys[DEFAULT_DATA_KEY_ID] = _data_key("data_key", self.data_key.get_secret_value())
        listed = self.data_keys.get_secret_value() if self.data_keys else ""
        for entry in filter(None, (part.strip() for part in listed.split(","))):
            key_id, equals, encoded = entry.partition("=")
            if not equals or not _DATA_KEY_ID.match(key_id):
                raise ValueError("data_keys: each entry must be id=base64url, id of [A-Za-z0-9_.-]")
            if key_id in keys:
                raise ValueError(f"data_keys: the key id {key_id} is given twice")
            keys[key_id] = _data_key(f"data_keys ({key_id})", encoded)
        return keys

    @property
    def sealing_key_id(self) -> str:
        keys = self.data_keyring
        return self.data_key_id or (next(iter(keys)) if len(keys) == 1 else "")

    @model_validator(mode="after")
    def _sealing_key_is_configured(self) -> DataKeySettings:
        keys = self.data_keyring
        if not keys:
            raise ValueError("data_key or data_keys must give at least one key")
        if self.sealing_key_id not in keys:
            raise ValueError("data_key_id must name one of the keys of data_key and data_keys")
        return self


def _data_key(field: str, encoded: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        raise ValueError(f"{field}: must be base64url") from None
    if len(raw) != _DATA_KEY_BYTES:
        raise ValueError(f"{field}: must encode exactly {_DATA_KEY_BYTES} bytes")
    return raw


class GateSettings(DataKeySettings):
    """Every number is finite and bounded: infinity, NaN or 1e300 would lift a timeout or
    overflow a `timedelta` long after start."""

    model_config = SettingsConfigDict(env_prefix="GATE_", extra="ignore", allow_inf_nan=False)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(
        default=1,
        ge=1,
        le=MAX_WORKERS,
        description="processes serving HTTP on the one port; each runs as a replica, with its"
        " own connection pool, group commit, Kafka consumers and background tasks",
    )
    consumer_group: str = "queue-gate"
    siak_base_url: str = "http://127.0.0.1:8090"
    siak_timeout_s: float = Field(default=10.0, gt=0, le=300)
    degraded_is_open: bool = True
    default_intake_mode: IntakeMode = IntakeMode.DEFER
    backlog_cap: int = Field(
        default=50_000, ge=1, le=10_000_000, description="waiting submissions per region"
    )
    stale_after_s: float = Field(
        default=60.0, gt=0, le=3600, description="no status or heartbeat for this long: UNKNOWN"
    )
    reject_retry_after_s: int = Field(default=300, ge=1, le=86_400)
    canary_count: int = Field(default=3, ge=0, le=1000)
    initial_rate: float = Field(
        default=2.0, ge=MIN_RATE, le=1_000_000, description="submissions/s after canaries"
    )
    max_rate: float = Field(
        default=20.0, ge=MIN_RATE, le=1_000_000, description="submissions/s per region"
    )
    ramp_interval_s: float = Field(default=30.0, gt=0, le=3600)
    sweep_interval_s: float = Field(
        default=5.0, gt=0, le=3600, description="how often every line is checked for work not woken"
    )
    max_active_regions: int = Field(
        default=64, ge=1, le=10_000, description="regions dispatched at once"
    )
    api_key: SecretStr | None = Field(
        default=None,
        min_length=1,
        description="the single intake key for local use; portals get keys of their own",
    )
    client_key_refresh_s: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="how often portals' keys are read again: a revoked key stops working"
        " within this on every replica (within twice this if PostgreSQL is unreachable)",
    )
    admin_token: SecretStr = Field(min_length=1)
    applicant_key_secret: SecretStr = Field(min_length=_MIN_SECRET_BYTES)
    retention_days: float = Field(
        default=30.0, gt=0, le=3650, description="personal data kept after delivery or cancellation"
    )
    backlog_reconcile_interval_s: float = Field(
        default=300.0,
        gt=0,
        le=86_400,
        description="how often backlog counts are checked against lines",
    )
    migrate_on_start: bool = True
    kafka_start_grace_s: float = Field(
        default=10.0, ge=0, le=600, description="how long start-up waits for Kafka before going on"
    )
    kafka_session_timeout_s: float = Field(
        default=10.0,
        ge=6,
        le=1800,
        description="a silent consumer holds its partitions this long (the broker's bounds)",
    )
    task_unhealthy_after_s: float = Field(
        default=30.0, gt=0, le=3600, description="a background task failing this long fails /readyz"
    )
    task_backoff_max_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="longest wait before a failed task is started again",
    )
    intake_queue_max: int = Field(
        default=2048,
        ge=1,
        le=1_000_000,
        description="submissions waiting for a commit; past it, 503",
    )
    db_connect_timeout_s: float = Field(default=5.0, gt=0, le=300)
    db_command_timeout_s: float = Field(default=15.0, gt=0, le=3600)
    db_acquire_timeout_s: float = Field(
        default=5.0, gt=0, le=300, description="longest wait for a pooled connection"
    )
    db_keepalives_idle_s: int = Field(default=30, ge=1, le=7200)
    db_keepalives_interval_s: int = Field(default=10, ge=1, le=600)
    db_keepalives_count: int = Field(default=3, ge=1, le=100)
    console_idle_timeout_s: float = Field(
        default=900.0,
        gt=0,
        le=86_400,
        description="an operator's console session idle this long ends",
    )
    console_cookie_secure: bool | None = Field(
        default=None, description="Secure session cookie; unset: when the request came over TLS"
    )
    console_sign_in_attempts: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="failed sign-ins per name from one address within the window",
    )
    console_sign_in_names_per_address: int = Field(
        default=20, ge=1, le=1000, description="names failed from one address within the window"
    )
    console_sign_in_window_s: float = Field(default=900.0, gt=0, le=86_400)
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="proxies (addresses or networks) whose X-Forwarded-For is believed",
    )
    monitor_url: str = Field(
        default="http://127.0.0.1:8081", description="siak_monitor, for maintenance windows"
    )
    monitor_admin_token: SecretStr | None = Field(
        default=None, description="siak_monitor's admin token; unset: the console only reads"
    )
    monitor_timeout_s: float = Field(default=10.0, gt=0, le=300)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            ipaddress.ip_network(proxy, strict=False)  # a ValueError names the value
        return proxies

    @model_validator(mode="after")
    def _admin_token_is_not_the_intake_key(self) -> GateSettings:
        # One secret for both would make every portal holding the intake key an operator.
        if self.api_key and self.admin_token.get_secret_value() == self.api_key.get_secret_value():
            raise ValueError("admin_token must differ from api_key")
        return self

    @property
    def stale_after(self) -> timedelta:
        return timedelta(seconds=self.stale_after_s)

    @property
    def reject_retry_after(self) -> timedelta:
        return timedelta(seconds=self.reject_retry_after_s)

    @property
    def pacing(self) -> PacingConfig:
        return PacingConfig(
            canary_count=self.canary_count,
            initial_rate=min(self.initial_rate, self.max_rate),
            max_rate=self.max_rate,
            ramp_interval=timedelta(seconds=self.ramp_interval_s),
        )


def describe_invalid_settings(error: ValidationError) -> str:
    """One line per problem, each naming the environment variable to put right."""
    return describe_invalid(error, _variable)


def _variable(location: tuple[int | str, ...]) -> str:
    # A problem of the whole (a model validator) names no field: the message names them.
    if not location:
        return "GATE_*"
    return "GATE_" + "__".join(str(part) for part in location).upper()
