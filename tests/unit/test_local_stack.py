"""The local stack's settings: which broker it runs and what its clients are told."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from deploy.local.stack import KAFKA_USERS, Stack, StackSettings
from shared.settings import KafkaSettings


def _stack(tmp_path: Path, **environ: str) -> Stack:
    return Stack(StackSettings.from_environment({"SIAK_GATE_STATE_DIR": str(tmp_path), **environ}))


def _service_env(stack: Stack, name: str) -> dict[str, str]:
    [service] = [s for s in stack.services if s.name == name]
    return service.env  # type: ignore[attr-defined, no-any-return]


def test_plaintext_by_default_with_one_broker(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    gate = _service_env(stack, "queue_gate")
    assert gate["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"
    assert gate["KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT"
    assert gate["KAFKA_TOPIC_REPLICATION_FACTOR"] == "1"
    assert "KAFKA_SASL_PASSWORD" not in stack.environment()


def test_sasl_ssl_gives_each_service_its_own_user_and_the_shell_a_subscriber(
    tmp_path: Path,
) -> None:
    stack = _stack(tmp_path, KAFKA_SECURITY_PROTOCOL="SASL_SSL")
    assert stack.kafka.scram is not None
    users = stack.kafka.scram.users
    assert set(users) == set(KAFKA_USERS)
    assert len(set(users.values())) == len(users)  # one password each
    for service, user in (("siak_monitor", "siak-monitor"), ("queue_gate", "queue-gate")):
        env = _service_env(stack, service)
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["KAFKA_SASL_USERNAME"] == user
        assert env["KAFKA_SASL_PASSWORD"] == users[user]
        assert env["KAFKA_SSL_CA_FILE"] == str(stack.kafka.certificates.ca_file)
    assert "KAFKA_SASL_PASSWORD" not in _service_env(stack, "siak_sim")
    shell = stack.environment()
    assert shell["KAFKA_SASL_USERNAME"] == "subscriber"
    assert shell["KAFKA_SASL_PASSWORD"] == users["subscriber"]
    # What `.run/env` says is what a client reads: complete settings once the CA exists.
    stack.kafka.prepare_certificates()
    client = KafkaSettings.model_validate(shell)
    assert (client.security_protocol, client.sasl_username) == ("SASL_SSL", "subscriber")


def test_passwords_are_kept_across_restarts_of_the_launcher(tmp_path: Path) -> None:
    first = _stack(tmp_path, KAFKA_SECURITY_PROTOCOL="SASL_SSL").kafka.scram
    again = _stack(tmp_path, KAFKA_SECURITY_PROTOCOL="SASL_SSL").kafka.scram
    assert first is not None and again is not None
    assert first.users == again.users
    assert (tmp_path / "secrets.env").stat().st_mode & 0o077 == 0


def test_three_brokers_are_three_nodes_and_topics_get_three_replicas(tmp_path: Path) -> None:
    stack = _stack(tmp_path, KAFKA_BROKERS="3")
    assert stack.bootstrap_servers == "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292"
    assert len(stack.kafka.nodes) == 3
    assert _service_env(stack, "siak_monitor")["KAFKA_TOPIC_REPLICATION_FACTOR"] == "3"
    assert _service_env(stack, "queue_gate")["KAFKA_TOPIC_REPLICATION_FACTOR"] == "3"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SSL"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"KAFKA_BROKERS": "2"}, "KAFKA_BROKERS"),
    ],
)
def test_a_broker_it_cannot_run_is_refused_by_name(
    tmp_path: Path, environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        _stack(tmp_path, **environ)


@pytest.mark.parametrize(
    ("given", "listeners"),
    [("2", 2), ("1", 1), ("+2", 2), ("2.0", 2), (" 3 ", 3), ("two", 1), ("0", 1)],
)
def test_the_gate_is_ready_once_each_of_its_workers_listens(
    tmp_path: Path, given: str, listeners: int
) -> None:
    # Each worker binds the gate's port itself once started, and the stack reads the count
    # as the gate does ("+2" is 2 workers); a count the gate refuses stops it.
    settings = StackSettings.from_environment({"SIAK_GATE_STATE_DIR": str(tmp_path)})
    stack = Stack(dataclasses.replace(settings, extra_env={"GATE_WORKERS": given}))
    [gate] = [s for s in stack.services if s.name == "queue_gate"]
    assert gate.listeners == listeners  # type: ignore[attr-defined]
