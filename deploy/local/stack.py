"""The local stack: which components run, on which ports, and the `.run/env` it writes."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import TypeAdapter, ValidationError

from deploy.local.component import Component, Paths
from deploy.local.kafka_broker import ADMIN_USER, NODE_PORT_STEP, KafkaBroker, NodePorts, Scram
from deploy.local.postgres_server import PostgresServer
from deploy.local.python_service import REPO_ROOT, PythonService

CLIENT_SECRETS = ("GATE_API_KEY", "GATE_ADMIN_TOKEN", "MONITOR_ADMIN_TOKEN")
"""Credentials clients need: written to `.run/env`."""
SERVICE_SECRETS = ("GATE_DATA_KEY", "GATE_APPLICANT_KEY_SECRET")
"""Keys only the gate needs (sealing personal data, pseudonymising applicants)."""
KAFKA_USERS = {
    ADMIN_USER: "KAFKA_ADMIN_PASSWORD",
    "siak-monitor": "KAFKA_SIAK_MONITOR_PASSWORD",
    "queue-gate": "KAFKA_QUEUE_GATE_PASSWORD",
    "subscriber": "KAFKA_SUBSCRIBER_PASSWORD",
}
"""The SCRAM users of a SASL_SSL broker (one per service, one for subscribers) and where their
passwords are kept."""
SECRET_NAMES = CLIENT_SECRETS + SERVICE_SECRETS + tuple(KAFKA_USERS.values())


KafkaStackSecurity = Literal["PLAINTEXT", "SASL_SSL"]


@dataclass(frozen=True)
class StackSettings:
    """Ports and places, each overridable through the environment."""

    state_dir: Path = REPO_ROOT / ".run"
    cache_dir: Path = REPO_ROOT / ".cache"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = 5433
    siak_sim_port: int = 8090
    monitor_port: int = 8081
    gate_port: int = 8080
    kafka_brokers: int = 1
    kafka_security: KafkaStackSecurity = "PLAINTEXT"
    database: str = "siak_gate"
    watch: str = "73"
    monitor_replicas: int = 1
    """siak_monitor processes: the first on `monitor_port`, the next on the ports above it."""
    external_kafka: str | None = None
    external_database: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    gate_siak_url: str | None = None
    """Where queue_gate reaches SIAK, if not the simulator itself (`make chaos` puts a line
    in between that it can cut)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> StackSettings:
        def port(name: str, default: int) -> int:
            return int(environ.get(name, default))

        external_kafka = environ.get("KAFKA_BOOTSTRAP_SERVERS") or None
        protocol = environ.get("KAFKA_SECURITY_PROTOCOL") or "PLAINTEXT"
        if protocol not in ("PLAINTEXT", "SASL_SSL") and external_kafka is None:
            raise ValueError(
                "the local broker speaks PLAINTEXT or SASL_SSL, "
                f"not KAFKA_SECURITY_PROTOCOL={protocol}"
            )
        return cls(
            state_dir=Path(environ.get("SIAK_GATE_STATE_DIR", REPO_ROOT / ".run")),
            kafka_port=port("KAFKA_PORT", cls.kafka_port),
            kafka_controller_port=port("KAFKA_CONTROLLER_PORT", cls.kafka_controller_port),
            postgres_port=port("POSTGRES_PORT", cls.postgres_port),
            siak_sim_port=port("SIAK_SIM_PORT", cls.siak_sim_port),
            monitor_port=port("MONITOR_PORT", cls.monitor_port),
            gate_port=port("GATE_PORT", cls.gate_port),
            kafka_brokers=port("KAFKA_BROKERS", cls.kafka_brokers),
            # Someone else's broker speaks what it speaks: then the protocol is not the stack's.
            kafka_security="SASL_SSL" if protocol == "SASL_SSL" else "PLAINTEXT",
            watch=environ.get("MONITOR_WATCH", cls.watch),
            monitor_replicas=max(1, int(environ.get("MONITOR_REPLICAS", cls.monitor_replicas))),
            external_kafka=external_kafka,
            external_database=environ.get("DATABASE_URL") or None,
        )


class Stack:
    """Kafka, PostgreSQL, the SIAK simulator, siak_monitor and queue_gate, in start order."""

    def __init__(self, settings: StackSettings, *, with_services: bool = True) -> None:
        self.settings = settings
        paths = Paths(settings.state_dir)
        if settings.kafka_brokers not in (1, 3):
            raise ValueError("KAFKA_BROKERS is 1 or 3 (a KRaft quorum of three survives one loss)")
        self.kafka = KafkaBroker(
            paths,
            port=settings.kafka_port,
            controller_port=settings.kafka_controller_port,
            cache_dir=settings.cache_dir,
            more_nodes=[
                NodePorts(
                    settings.kafka_port + NODE_PORT_STEP * n,
                    settings.kafka_controller_port + NODE_PORT_STEP * n,
                )
                for n in range(1, settings.kafka_brokers)
            ],
            scram=self._scram() if settings.kafka_security == "SASL_SSL" else None,
        )
        self.postgres = PostgresServer(
            paths, port=settings.postgres_port, database=settings.database
        )
        # After `source .run/env` the stack's own addresses are in the environment: they do
        # not make its broker and database someone else's.
        if settings.external_kafka == self.kafka.bootstrap_servers:
            settings = dataclasses.replace(settings, external_kafka=None)
        if settings.external_database == self.postgres.url:
            settings = dataclasses.replace(settings, external_database=None)
        self.settings = settings
        self.infrastructure: list[Component] = []
        if settings.external_kafka is None:
            self.infrastructure.append(self.kafka)
        if settings.external_database is None:
            self.infrastructure.append(self.postgres)
        self.services = self._services(paths) if with_services else []

    @property
    def components(self) -> list[Component]:
        return [*self.infrastructure, *self.services]

    @property
    def bootstrap_servers(self) -> str:
        return self.settings.external_kafka or self.kafka.bootstrap_servers

    @property
    def database_url(self) -> str:
        return self.settings.external_database or self.postgres.url

    def up(self) -> list[str]:
        """Start what is not running; the names of the components that had to be started."""
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        started = [c.name for c in self.components if c.ensure_running()]
        self.write_env_file()
        return started

    def down(self) -> None:
        for component in reversed(self.components):
            component.stop()

    def status(self) -> dict[str, bool]:
        return {c.name: c.is_running() for c in self.components}

    def environment(self) -> dict[str, str]:
        s = self.settings
        return {
            "GATE_URL": f"http://127.0.0.1:{s.gate_port}",
            "MONITOR_URL": f"http://127.0.0.1:{s.monitor_port}",
            "SIAK_SIM_URL": f"http://127.0.0.1:{s.siak_sim_port}",
            **self._kafka_env("subscriber"),
            "DATABASE_URL": self.database_url,
            **{name: value for name, value in self._secrets().items() if name in CLIENT_SECRETS},
        }

    def write_env_file(self) -> Path:
        env_file = self.settings.state_dir / "env"
        lines = [f"export {key}={shlex.quote(value)}" for key, value in self.environment().items()]
        env_file.write_text("\n".join(lines) + "\n")
        env_file.chmod(0o600)
        return env_file

    def _secrets(self) -> dict[str, str]:
        """Tokens generated once per state folder, so restarts keep clients' credentials."""
        secrets_file = self.settings.state_dir / "secrets.env"
        known: dict[str, str] = {}
        if secrets_file.exists():
            for line in secrets_file.read_text().splitlines():
                key, _, value = line.partition("=")
                known[key] = value
        missing = [name for name in SECRET_NAMES if not known.get(name)]
        if missing:
            # 32 random bytes, base64url: also the form the gate's data key must have.
            known.update({name: secrets.token_urlsafe(32) for name in missing})
            secrets_file.parent.mkdir(parents=True, exist_ok=True)
            secrets_file.write_text("".join(f"{k}={known[k]}\n" for k in SECRET_NAMES))
            secrets_file.chmod(0o600)
        return {name: known[name] for name in SECRET_NAMES}

    def _monitor(self, paths: Paths, common: Mapping[str, str], replica: int) -> Component:
        """Replica 1 is `siak_monitor`, the others `siak_monitor-<n>`: one group, one of them
        publishing at a time (docs/decisions/0015)."""
        s = self.settings
        env = self.environment()
        suffix = "" if replica == 1 else f"-{replica}"
        port = s.monitor_port + replica - 1
        return PythonService(
            paths,
            name="siak_monitor" + suffix,
            module="services.siak_monitor",
            port=port,
            ready_path="/readyz",
            env={
                **common,
                **self._kafka_env("siak-monitor"),
                "MONITOR_PORT": str(port),
                "MONITOR_MONITOR_ID": "siak-monitor" + suffix,
                "MONITOR_WATCH": s.watch,
                "MONITOR_PROBE_URL_TEMPLATE": env["SIAK_SIM_URL"] + "/regions/{region}/health",
                "MONITOR_ADMIN_TOKEN": env["MONITOR_ADMIN_TOKEN"],
            },
        )

    def _scram(self) -> Scram:
        keys = self._secrets()
        return Scram({user: keys[name] for user, name in KAFKA_USERS.items()})

    def _kafka_env(self, user: str) -> dict[str, str]:
        """How `user` reaches the stack's broker (only where to, for someone else's)."""
        if self.settings.external_kafka is not None:
            return {"KAFKA_BOOTSTRAP_SERVERS": self.settings.external_kafka}
        return self.kafka.client_environment(user) | {
            "KAFKA_TOPIC_REPLICATION_FACTOR": str(self.kafka.replication_factor)
        }

    def _services(self, paths: Paths) -> list[Component]:
        s = self.settings
        env = self.environment()
        keys = self._secrets()
        common = {"DATABASE_URL": env["DATABASE_URL"], **s.extra_env}
        return [
            PythonService(
                paths,
                name="siak_sim",
                module="services.siak_sim",
                port=s.siak_sim_port,
                ready_path="/healthz",
                env={
                    **common,
                    "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
                    "SIAK_SIM_PORT": str(s.siak_sim_port),
                },
            ),
            *(
                self._monitor(paths, common, replica)
                for replica in range(1, s.monitor_replicas + 1)
            ),
            PythonService(
                paths,
                name="queue_gate",
                module="services.queue_gate",
                port=s.gate_port,
                ready_path="/readyz",
                listeners=_gate_workers({**os.environ, **common}),
                env={
                    **common,
                    **self._kafka_env("queue-gate"),
                    "GATE_PORT": str(s.gate_port),
                    "GATE_SIAK_BASE_URL": s.gate_siak_url or env["SIAK_SIM_URL"],
                    "GATE_API_KEY": env["GATE_API_KEY"],
                    "GATE_ADMIN_TOKEN": env["GATE_ADMIN_TOKEN"],
                    # The console plans maintenance through the monitor's admin API.
                    "GATE_MONITOR_URL": env["MONITOR_URL"],
                    "GATE_MONITOR_ADMIN_TOKEN": env["MONITOR_ADMIN_TOKEN"],
                    "GATE_DATA_KEY": keys["GATE_DATA_KEY"],
                    "GATE_APPLICANT_KEY_SECRET": keys["GATE_APPLICANT_KEY_SECRET"],
                },
            ),
        ]


def _gate_workers(env: Mapping[str, str]) -> int:
    """The gate's worker processes, each listening on the gate's port; 1 for a value the gate
    refuses (it stops and says why)."""
    try:
        count = TypeAdapter(int).validate_python(env.get("GATE_WORKERS", "1"))  # as the gate
    except ValidationError:
        return 1
    return count if count > 0 else 1
