"""Certificates for a local broker over TLS, made at start: a CA of its own and one leaf
certificate for loopback, valid for servers and clients."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALID_FOR = datetime.timedelta(days=30)


@dataclass(frozen=True)
class LocalCertificates:
    ca_file: Path
    cert_file: Path
    key_file: Path
    keystore_file: Path
    """The key, the leaf and the CA in one PEM file: what a broker's `ssl.keystore.location`
    with `ssl.keystore.type=PEM` reads."""


def make_local_certificates(directory: Path, *, host: str = "localhost") -> LocalCertificates:
    """Writes a new CA and a leaf certificate for `host` and 127.0.0.1 into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SIAK Gate local CA")])
    ca = (
        _valid_from(now, x509.CertificateBuilder(), ca_name, ca_key.public_key())
        .issuer_name(ca_name)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(key_cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        _valid_from(
            now,
            x509.CertificateBuilder(),
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]),
            key.public_key(),
        )
        .issuer_name(ca_name)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    leaf_pem = leaf.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    files = LocalCertificates(
        ca_file=directory / "ca.crt",
        cert_file=directory / "local.crt",
        key_file=directory / "local.key",
        keystore_file=directory / "keystore.pem",
    )
    files.ca_file.write_bytes(ca_pem)
    files.cert_file.write_bytes(leaf_pem)
    _write_private(files.key_file, key_pem)
    _write_private(files.keystore_file, key_pem + leaf_pem + ca_pem)
    return files


def _valid_from(
    now: datetime.datetime,
    builder: x509.CertificateBuilder,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
) -> x509.CertificateBuilder:
    return (
        builder.subject_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALID_FOR)
    )


def _usage(*, key_cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_private(path: Path, content: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(content)
