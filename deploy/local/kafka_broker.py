"""A single-node Apache Kafka broker in KRaft combined mode, assembled from Maven Central."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import shutil
import subprocess
import uuid
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from deploy.local import processes
from deploy.local.component import Component, Paths

KAFKA_ASSETS = Path(__file__).parent / "kafka"
BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"


class KafkaBroker(Component):
    name = "kafka"
    start_timeout = 120.0

    def __init__(self, paths: Paths, *, port: int, controller_port: int, cache_dir: Path) -> None:
        super().__init__(paths)
        self.port = port
        self.controller_port = controller_port
        self.libs_dir = cache_dir / "kafka-libs"
        self.data_dir = paths.data_dir("kafka")
        self.config_file = self.data_dir.parent / "kafka-server.properties"
        self.marker = str(self.config_file)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def prepare(self) -> None:
        fetch_broker_jars(self.libs_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self._server_properties())
        if not (self.data_dir / "meta.properties").exists():
            formatted = subprocess.run(
                [
                    *self._java(heap="-Xmx256m"),
                    STORAGE_TOOL,
                    "format",
                    "--ignore-formatted",
                    # `=` keeps an id that starts with "-" from reading as an option.
                    f"--cluster-id={_new_cluster_id()}",
                    f"--config={self.config_file}",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if formatted.returncode != 0:
                raise processes.StartError(
                    f"formatting Kafka storage failed:\n{formatted.stdout}{formatted.stderr}"
                )

    def spawn(self) -> None:
        processes.spawn(
            [*self._java(heap="-Xms256m -Xmx512m"), BROKER_MAIN, str(self.config_file)],
            log_file=self.log_file,
            pid_file=self.pid_file,
        )

    def is_ready(self) -> bool:
        return asyncio.run(_metadata_answers(self.bootstrap_servers))

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

    def _server_properties(self) -> str:
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "log.dirs": str(self.data_dir),
            "num.partitions": "3",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())


def fetch_broker_jars(libs_dir: Path) -> None:
    """Copy the broker's jars from Maven Central once per version of the pom."""
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


def _new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


async def _metadata_answers(bootstrap_servers: str) -> bool:
    # A broker still starting refuses connections; aiokafka would log each refusal as an error.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
    try:
        await asyncio.wait_for(client.start(), timeout=5)
        await asyncio.wait_for(client.list_topics(), timeout=5)
    except Exception:
        return False
    finally:
        await client.close()
    return True
