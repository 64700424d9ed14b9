"""Seals personal data at rest with AES-256-GCM, bound to its ticket id."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
