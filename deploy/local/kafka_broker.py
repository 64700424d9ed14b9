"""Apache Kafka from Maven Central in KRaft combined mode: 1 or 3 nodes, PLAINTEXT or SASL_SSL."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from cryptography import x509

from deploy.local import processes
from deploy.local.certificates import LocalCertificates, make_local_certificates
from deploy.local.component import Component, Paths
from shared.kafka_client import client_options
from shared.settings import KafkaSettings
from shared.topics import min_insync_replicas

KAFKA_ASSETS = Path(__file__).parent / "kafka"
BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
ADMIN_USER = "admin"
"""The SCRAM user the brokers talk to each other as (and the readiness check connects as)."""
NODE_PORT_STEP = 100
"""Node n of a cluster listens on the first node's ports plus (n - 1) times this."""


@dataclass(frozen=True)
class NodePorts:
    port: int
    controller_port: int


@dataclass(frozen=True)
class Scram:
    """SASL_SSL with SCRAM-SHA-512: `users` (name to password) are created when the storage is
    formatted; it must hold `ADMIN_USER`."""

    users: Mapping[str, str] = field(repr=False)

    def __post_init__(self) -> None:
        if ADMIN_USER not in self.users:
            raise ValueError(f"the SCRAM users must include {ADMIN_USER!r} (inter-broker)")


class KafkaBroker(Component):
    """One combined broker+controller node, or `len(more_nodes) + 1` of them as one cluster:
    started together (a lone node of three never becomes ready), ready once every node is in
    the cluster's metadata."""

    name = "kafka"
    start_timeout = 120.0

    def __init__(
        self,
        paths: Paths,
        *,
        port: int,
        controller_port: int,
        cache_dir: Path,
        more_nodes: Sequence[NodePorts] = (),
        scram: Scram | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(paths)
        self.scram = scram
        self.overrides = dict(overrides or {})
        self.libs_dir = cache_dir / "kafka-libs"
        ports = [NodePorts(port, controller_port), *more_nodes]
        # Each layout (node count, security) has its storage: a PLAINTEXT node's log has no
        # SCRAM users, a single node's log no voters for a cluster.
        layout = "kafka" + (f"-{len(ports)}-nodes" if more_nodes else "")
        layout += "-sasl_ssl" if scram else ""
        self.root = paths.data_dir(layout)
        self.nodes = [
            _Node(paths, self.root, node_id, node_ports, single=not more_nodes)
            for node_id, node_ports in enumerate(ports, start=1)
        ]
        self.marker = self.nodes[0].marker

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{node.ports.port}" for node in self.nodes)

    @property
    def replication_factor(self) -> int:
        """Of the cluster's own topics, and of those the services create on it."""
        return min(3, len(self.nodes))

    @property
    def certificates(self) -> LocalCertificates:
        # Beside the storage, not in it: the broker reads every folder there as a partition's.
        directory = self.root.parent / f"{self.root.name}-tls"
        return LocalCertificates(
            ca_file=directory / "ca.crt",
            cert_file=directory / "local.crt",
            key_file=directory / "local.key",
            keystore_file=directory / "keystore.pem",
        )

    def client_environment(self, user: str | None = None) -> dict[str, str]:
        """The `KAFKA_*` variables of a client of these brokers: PLAINTEXT, or SASL_SSL as
        `user` (the admin by default) trusting the brokers' own CA."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
        }
        if self.scram is not None:
            name = user or ADMIN_USER
            env |= {
                "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
                "KAFKA_SASL_USERNAME": name,
                "KAFKA_SASL_PASSWORD": self.scram.users[name],
                "KAFKA_SSL_CA_FILE": str(self.certificates.ca_file),
            }
        return env

    def client_settings(self, user: str | None = None) -> KafkaSettings:
        """The same as settings; once prepared (the CA file must exist)."""
        return KafkaSettings.model_validate(self.client_environment(user))

    def node_pid(self, node_id: int) -> int | None:
        return processes.read_pid(self.nodes[node_id - 1].pid_file)

    def is_alive(self) -> bool:
        return all(node.is_alive() for node in self.nodes)

    def stop(self) -> None:
        # All at once: stopped one by one, the last of a cluster has lost its quorum and
        # waits out the whole grace period before it is killed.
        for node in self.nodes:
            node.ask_to_stop()
        for node in self.nodes:
            node.stop()

    def stop_before_start(self) -> None:
        """A lone node alive but not answering is stopped; a cluster's live nodes keep serving
        while `spawn` brings back the ones that died (they rejoin)."""
        if len(self.nodes) == 1:
            self.stop()

    def prepare(self) -> None:
        fetch_broker_jars(self.libs_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        self.prepare_certificates()
        cluster_id = self._cluster_id()
        for node in self.nodes:
            # Private: with SASL_SSL it holds the inter-broker password.
            node.config_file.touch(mode=0o600, exist_ok=True)
            node.config_file.chmod(0o600)
            node.config_file.write_text(_properties(self._server_properties(node)))
            if not (node.data_dir / "meta.properties").exists():
                self._format(node, cluster_id)

    def prepare_certificates(self) -> None:
        """With SASL_SSL, a CA and a certificate for loopback, made once and kept while they
        are valid: restarting the broker does not leave running clients with a stale CA."""
        if self.scram is not None and not _still_valid(self.certificates.cert_file):
            make_local_certificates(self.certificates.ca_file.parent)

    def spawn(self) -> None:
        for node in self.nodes:
            if not node.is_alive():
                node.stop()  # a pid file left by a dead node
                processes.spawn(
                    [*self._java(heap="-Xms256m -Xmx512m"), BROKER_MAIN, str(node.config_file)],
                    log_file=node.log_file,
                    pid_file=node.pid_file,
                )

    def is_ready(self) -> bool:
        return asyncio.run(_all_brokers_answer(self.client_settings(), len(self.nodes)))

    def _cluster_id(self) -> str:
        """One id for every node of the cluster, kept with its storage."""
        id_file = self.root.parent / f"{self.root.name}-cluster-id"
        if not id_file.exists():
            id_file.write_text(_new_cluster_id())
        return id_file.read_text().strip()

    def _format(self, node: _Node, cluster_id: str) -> None:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        users = self.scram.users if self.scram else {}
        command = [
            *self._java(heap="-Xmx256m"),
            STORAGE_TOOL,
            "format",
            "--ignore-formatted",
            # `=` keeps an id that starts with "-" from reading as an option.
            f"--cluster-id={cluster_id}",
            f"--config={node.config_file}",
            *(f"--add-scram=SCRAM-SHA-512=[name={n},password={p}]" for n, p in users.items()),
        ]
        formatted = subprocess.run(command, capture_output=True, text=True, check=False)
        if formatted.returncode != 0:
            # The output, never the command: it holds the passwords.
            raise processes.StartError(
                f"formatting Kafka storage failed:\n{formatted.stdout}{formatted.stderr}"
            )

    def _java(self, *, heap: str) -> list[str]:
        return [
            "java",
            *heap.split(),
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_ASSETS / 'log4j2.xml'}",
            "-cp",
            f"{self.libs_dir}/*",
        ]

    def _server_properties(self, node: _Node) -> dict[str, str]:
        replicas = str(self.replication_factor)
        in_sync = str(min_insync_replicas(len(self.nodes)))
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.ports.controller_port}" for n in self.nodes)
        listener = "SASL_SSL" if self.scram else "PLAINTEXT"
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "listeners": f"{listener}://127.0.0.1:{node.ports.port},"
            f"CONTROLLER://127.0.0.1:{node.ports.controller_port}",
            "advertised.listeners": f"{listener}://127.0.0.1:{node.ports.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": listener,
            # The controllers' listener stays PLAINTEXT: loopback only.
            "listener.security.protocol.map": f"CONTROLLER:PLAINTEXT,{listener}:{listener}",
            "controller.quorum.voters": voters,
            "log.dirs": str(node.data_dir),
            "num.partitions": "3",
            "offsets.topic.replication.factor": replicas,
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": in_sync,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": in_sync,
            "min.insync.replicas": in_sync,
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        if self.scram is not None:
            admin = self.scram.users[ADMIN_USER]
            settings |= {
                "sasl.enabled.mechanisms": "SCRAM-SHA-512",
                "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
                    "org.apache.kafka.common.security.scram.ScramLoginModule required "
                    f'username="{ADMIN_USER}" password="{admin}";'
                ),
                "ssl.keystore.type": "PEM",
                "ssl.keystore.location": str(self.certificates.keystore_file),
                "ssl.truststore.type": "PEM",
                "ssl.truststore.location": str(self.certificates.ca_file),
            }
        return settings | self.overrides


class _Node:
    """One process of the cluster: its ports, pid file, log, storage and configuration."""

    def __init__(
        self, paths: Paths, root: Path, node_id: int, ports: NodePorts, *, single: bool
    ) -> None:
        self.node_id = node_id
        self.ports = ports
        # A single node keeps the names it always had: `.run/kafka.pid`, `logs/kafka.log`.
        name = "kafka" if node_id == 1 else f"kafka-{node_id}"
        self.pid_file = paths.pid_file(name)
        self.log_file = paths.log_file(name)
        self.data_dir = root if single else root / f"node-{node_id}"
        suffix = "server" if single else f"node-{node_id}"
        self.config_file = root.parent / f"{root.name}-{suffix}.properties"
        self.marker = str(self.config_file)

    def is_alive(self) -> bool:
        pid = processes.read_pid(self.pid_file)
        return pid is not None and processes.is_alive(pid, marker=self.marker)

    def ask_to_stop(self) -> None:
        pid = processes.read_pid(self.pid_file)
        if pid is not None and processes.is_alive(pid, marker=self.marker):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)

    def stop(self) -> None:
        pid = processes.read_pid(self.pid_file)
        if pid is not None:
            processes.stop(pid, marker=self.marker)
        self.pid_file.unlink(missing_ok=True)


def fetch_broker_jars(libs_dir: Path) -> None:
    """Copy the broker's jars from Maven Central once per version of the pom."""
    # Locked: processes started side by side (make test's pytest workers, stacks of several
    # sessions) share the cache, and one's rmtree and copy must not run under another's.
    libs_dir.parent.mkdir(parents=True, exist_ok=True)
    with (libs_dir.parent / f"{libs_dir.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _fetch_unlocked(libs_dir)


def _fetch_unlocked(libs_dir: Path) -> None:
    pom = KAFKA_ASSETS / "pom.xml"
    stamp = libs_dir / ".pom-sha256"
    wanted = hashlib.sha256(pom.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if shutil.which("mvn") is None:
        raise processes.StartError("Apache Maven (mvn) is needed to fetch the Kafka broker")
    shutil.rmtree(libs_dir, ignore_errors=True)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs_dir}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        check=False,
        text=True,
    )
    if result.returncode != 0:
        raise processes.StartError(
            f"fetching the Kafka broker failed:\n{result.stdout}{result.stderr}"
        )
    stamp.write_text(wanted)


def _properties(settings: Mapping[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def _still_valid(cert_file: Path) -> bool:
    """Whether the certificate exists and outlives the next day."""
    if not cert_file.exists():
        return False
    certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
    tomorrow = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    return certificate.not_valid_after_utc > tomorrow


def _new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


async def _all_brokers_answer(kafka: KafkaSettings, brokers: int) -> bool:
    # A broker still starting refuses connections; aiokafka would log each refusal as an error.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    client = AIOKafkaAdminClient(**client_options(kafka), request_timeout_ms=3000)
    try:
        await asyncio.wait_for(client.start(), timeout=5)
        cluster = await asyncio.wait_for(client.describe_cluster(), timeout=5)
    except Exception:
        return False
    finally:
        await client.close()
    return len(cluster["brokers"]) == brokers
