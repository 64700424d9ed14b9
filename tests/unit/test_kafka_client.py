"""Kafka connection settings: complete for their protocol, and translated into aiokafka's
client options."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from aiokafka.conn import collect_hosts
from pydantic import ValidationError

from deploy.local.certificates import LocalCertificates, make_local_certificates
from shared.kafka_client import client_options
from shared.settings import KafkaSettings


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> LocalCertificates:
    return make_local_certificates(tmp_path_factory.mktemp("tls"))


def _settings(**env: str) -> KafkaSettings:
    return KafkaSettings.model_validate({"KAFKA_BOOTSTRAP_SERVERS": "broker:9093", **env})


def test_plaintext_is_the_default_and_has_no_tls_or_sasl() -> None:
    kafka = _settings()
    assert client_options(kafka) == {
        "bootstrap_servers": "broker:9093",
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_ssl_gives_scram_credentials_over_a_verifying_tls_context(
    certificates: LocalCertificates,
) -> None:
    kafka = _settings(
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_USERNAME="queue-gate",
        KAFKA_SASL_PASSWORD="s3cret",
        KAFKA_SSL_CA_FILE=str(certificates.ca_file),
    )
    options = client_options(kafka)
    context = options.pop("ssl_context")
    assert options == {
        "bootstrap_servers": "broker:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "queue-gate",
        "sasl_plain_password": "s3cret",
    }
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert "SIAK Gate local CA" in str(context.get_ca_certs())


def test_ssl_with_a_client_certificate_presents_it(certificates: LocalCertificates) -> None:
    kafka = _settings(
        KAFKA_SECURITY_PROTOCOL="SSL",
        KAFKA_SSL_CA_FILE=str(certificates.ca_file),
        KAFKA_SSL_CERT_FILE=str(certificates.cert_file),
        KAFKA_SSL_KEY_FILE=str(certificates.key_file),
    )
    options = client_options(kafka)
    assert options["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in options
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"KAFKA_SSL_CA_FILE": "{ca}"}, "KAFKA_SECURITY_PROTOCOL is PLAINTEXT"),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CERT_FILE": "{cert}"},
            "KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE",
        ),
        (
            {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CA_FILE": "/nowhere/ca.crt"},
            "KAFKA_SSL_CA_FILE",
        ),
    ],
)
def test_incomplete_or_unsafe_settings_are_refused_naming_what_is_missing(
    env: dict[str, str], names: str, certificates: LocalCertificates
) -> None:
    filled = {
        k: v.format(ca=certificates.ca_file, cert=certificates.cert_file) for k, v in env.items()
    }
    with pytest.raises(ValidationError, match=names):
        _settings(**filled)


def test_the_password_never_shows_in_the_settings_repr() -> None:
    kafka = _settings(
        KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_SASL_USERNAME="u", KAFKA_SASL_PASSWORD="s3cret"
    )
    assert "s3cret" not in repr(kafka)


def test_local_certificates_keep_their_keys_private(certificates: LocalCertificates) -> None:
    assert certificates.key_file.stat().st_mode & 0o077 == 0
    assert certificates.keystore_file.stat().st_mode & 0o077 == 0
    assert Path(certificates.keystore_file).read_text().count("BEGIN CERTIFICATE") == 2


@pytest.mark.parametrize(("replicas", "in_sync"), [(1, 1), (2, 2), (3, 2), (5, 2)])
def test_created_topics_need_two_replicas_in_sync_where_there_are_two(
    replicas: int, in_sync: int
) -> None:
    kafka = _settings(KAFKA_TOPIC_REPLICATION_FACTOR=str(replicas))
    assert (kafka.topic_replication_factor, kafka.topic_min_insync_replicas) == (replicas, in_sync)


def test_a_value_given_by_field_name_is_refused_not_ignored() -> None:
    """Only the variables' names are read: a field's own name would otherwise fall silently
    back to the default broker."""
    with pytest.raises(ValidationError, match="bootstrap_servers"):
        KafkaSettings.model_validate({"bootstrap_servers": "broker:9093"})


def test_several_bootstrap_servers_reach_the_clients_as_several_brokers() -> None:
    kafka = _settings(KAFKA_BOOTSTRAP_SERVERS="k1:9092, k2:9092,k3:9092")
    hosts = collect_hosts(client_options(kafka)["bootstrap_servers"])
    # aiokafka shuffles the hosts it starts from.
    assert sorted((host, port) for host, port, _ in hosts) == [
        ("k1", 9092),
        ("k2", 9092),
        ("k3", 9092),
    ]
