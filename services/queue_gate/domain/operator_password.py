"""Operators' passwords kept as scrypt hashes: a salt per account, parameters stored with each."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
"""A longer "password" only makes each sign-in attempt cost the gate more."""


@dataclass(frozen=True)
class ScryptCost:
    """scrypt's work factors. The default (N=2^15, r=8, p=1: 32 MiB and ~50-100 ms a hash)
    is what RFC 7914 and OWASP's password storage sheet recommend at least for interactive
    sign-in; stored with each hash, so raising it later leaves older hashes readable."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    @property
    def memory_bytes(self) -> int:
        return 128 * self.n * self.r * self.p


DEFAULT_COST = ScryptCost()
_SALT_BYTES = 16
_KEY_BYTES = 32
_SCHEME = "scrypt"


class WeakPasswordError(ValueError):
    """A password shorter than `MIN_PASSWORD_LENGTH` or longer than `MAX_PASSWORD_LENGTH`."""


def hash_password(password: str, *, cost: ScryptCost = DEFAULT_COST) -> str:
    """`scrypt$N$r$p$salt$key`, salt and key in base64url."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _derive(password, salt, cost)
    return "$".join((_SCHEME, str(cost.n), str(cost.r), str(cost.p), _b64(salt), _b64(key)))


def password_matches(password: str, stored: str) -> bool:
    """False for a wrong password and for a stored value that is not one of our hashes."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        cost = ScryptCost(int(n), int(r), int(p))
        expected = _unb64(key)
        if scheme != _SCHEME or len(password) > MAX_PASSWORD_LENGTH:
            return False
        return hmac.compare_digest(_derive(password, _unb64(salt), cost), expected)
    except ValueError:
        return False


def _derive(password: str, salt: bytes, cost: ScryptCost) -> bytes:
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=2 * cost.memory_bytes,
        dklen=_KEY_BYTES,
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
