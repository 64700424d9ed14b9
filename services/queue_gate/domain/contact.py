"""Contact details: Indonesian mobile numbers and e-mail addresses."""

from __future__ import annotations

import re

_PHONE_SEPARATORS = re.compile(r"[ \-.()]")
# 08xx numbers are 10 to 13 digits long; +62 / 62 replace the leading 0.
_INDONESIAN_MOBILE = re.compile(r"(?:\+62|62|0)(8[1-9][0-9]{7,10})")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MAX_EMAIL_LENGTH = 254


class InvalidContactError(ValueError):
    """A phone number or e-mail address that cannot be used; the value is not repeated."""


def normalise_mobile_number(phone: str) -> str:
    """An Indonesian mobile number (`08…`, `628…` or `+628…`) in E.164 form, `+628…`."""
    match = _INDONESIAN_MOBILE.fullmatch(_PHONE_SEPARATORS.sub("", phone.strip()))
    if match is None:
        raise InvalidContactError(
            "phone must be an Indonesian mobile number such as 0812… or +62812…"
        )
    return f"+62{match.group(1)}"


def normalise_email(email: str) -> str:
    """The address with surrounding spaces removed and its domain lower-cased."""
    candidate = email.strip()
    if not _looks_like_email(candidate):
        raise InvalidContactError("email must be an address such as nama@contoh.id")
    local, domain = candidate.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _looks_like_email(candidate: str) -> bool:
    if len(candidate) > MAX_EMAIL_LENGTH or _EMAIL.fullmatch(candidate) is None:
        return False
    local = candidate.rsplit("@", 1)[0]
    return not (local.startswith(".") or local.endswith(".") or ".." in local)
