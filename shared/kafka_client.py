"""How both services connect to Kafka: the one translation of `KafkaSettings` into the
options of aiokafka's clients and of FastStream's broker."""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLScram256, SASLScram512

from shared.settings import KafkaSettings


def client_options(kafka: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for `AIOKafkaProducer`, `AIOKafkaConsumer` and `AIOKafkaAdminClient`."""
    options: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "security_protocol": kafka.security_protocol,
    }
    if kafka.security_protocol != "PLAINTEXT":
        options["ssl_context"] = tls_context(kafka)
    if kafka.security_protocol == "SASL_SSL":
        assert kafka.sasl_password is not None  # checked by KafkaSettings
        options |= {
            "sasl_mechanism": kafka.sasl_mechanism,
            "sasl_plain_username": kafka.sasl_username,
            "sasl_plain_password": kafka.sasl_password.get_secret_value(),
        }
    return options


def broker_bootstrap(kafka: KafkaSettings) -> list[str]:
    """The brokers to start from as FastStream's `KafkaBroker(...)` takes them: a list, since it
    passes a string on as one server ("a:9092,b:9092" would be one unreachable host)."""
    return [server.strip() for server in kafka.bootstrap_servers.split(",") if server.strip()]


def broker_security(kafka: KafkaSettings) -> BaseSecurity | None:
    """The same connection as FastStream's `KafkaBroker(security=...)` spells it."""
    if kafka.security_protocol == "PLAINTEXT":
        return None
    context = tls_context(kafka)
    if kafka.security_protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    assert kafka.sasl_username is not None and kafka.sasl_password is not None
    scram = SASLScram512 if kafka.sasl_mechanism == "SCRAM-SHA-512" else SASLScram256
    return scram(kafka.sasl_username, kafka.sasl_password.get_secret_value(), ssl_context=context)


def tls_context(kafka: KafkaSettings) -> ssl.SSLContext:
    """Verifies the broker's certificate and host name; presents a client certificate if set."""
    password = kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None
    context: ssl.SSLContext = create_ssl_context(
        cafile=str(kafka.ssl_ca_file) if kafka.ssl_ca_file else None,
        certfile=str(kafka.ssl_cert_file) if kafka.ssl_cert_file else None,
        keyfile=str(kafka.ssl_key_file) if kafka.ssl_key_file else None,
        password=password,
    )
    return context
