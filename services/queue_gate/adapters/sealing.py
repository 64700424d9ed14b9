"""Seals personal data at rest with AES-256-GCM, bound to its ticket id, under a key id."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.queue_gate.adapters.prometheus_metrics import PAYLOADS_UNOPENED
from services.queue_gate.settings import DataKeySettings

_NONCE_BYTES = 12
_KEY_BYTES = 32


class PayloadSealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise ValueError(f"the data key must be {_KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_base64(cls, encoded: str) -> PayloadSealer:
        return cls(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))

    def seal(self, plaintext: bytes, *, ticket_id: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, ticket_id.encode())

    def unseal(self, sealed: bytes, *, ticket_id: str) -> bytes:
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, ticket_id.encode())


class UnknownDataKeyError(LookupError):
    """A row was sealed with a key this gate is not configured with."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no data key with the id {key_id!r} is configured")
        self.key_id = key_id


class DataKeyring:
    """Seals with the current key and opens with any configured one, by the id each sealed
    row records: a key can be rotated without emptying the queue."""

    def __init__(self, keys: Mapping[str, bytes], *, current: str) -> None:
        if current not in keys:
            raise ValueError(f"the current data key {current!r} is not among the keys")
        self._sealers = {key_id: PayloadSealer(key) for key_id, key in keys.items()}
        self.key_id = current

    @classmethod
    def from_settings(cls, settings: DataKeySettings) -> DataKeyring:
        return cls(settings.data_keyring, current=settings.sealing_key_id)

    def knows(self, key_id: str) -> bool:
        return key_id in self._sealers

    def seal(self, plaintext: bytes, *, ticket_id: str) -> bytes:
        return self._sealers[self.key_id].seal(plaintext, ticket_id=ticket_id)

    def unseal(self, sealed: bytes, *, ticket_id: str, key_id: str) -> bytes:
        sealer = self._sealers.get(key_id)
        if sealer is None:
            PAYLOADS_UNOPENED.labels("data_key_unknown").inc()
            raise UnknownDataKeyError(key_id)
        try:
            return sealer.unseal(sealed, ticket_id=ticket_id)
        except InvalidTag:
            PAYLOADS_UNOPENED.labels("does_not_open").inc()
            raise
