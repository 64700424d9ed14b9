"""The applicant key: a keyed hash of the NIK, so ordering and storage never need the NIK."""

from __future__ import annotations

import hashlib
import hmac

MIN_SECRET_BYTES = 32


def applicant_key(nik: str, *, secret: bytes) -> str:
    """The same NIK under the same secret always gives the same key.

    A plain hash would not do: NIKs are structured and few enough to enumerate, so without
    the secret anyone holding the keys could recover the NIKs behind them.
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the applicant key secret must be at least {MIN_SECRET_BYTES} bytes")
    return hmac.new(secret, nik.encode("ascii"), hashlib.sha256).hexdigest()
