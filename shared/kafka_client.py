"""How both services connect to Kafka: the one translation of `KafkaSettings` into the
options of aiokafka's clients."""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.helpers import create_ssl_context

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
