"""SIAK's explanation of a refusal, without what may be personal data: it may echo the input.

Kept: the words of the explanation and the names of the fields it blames. Taken out: quoted
text, runs of digits (a NIK, a No. KK, a birth date), e-mail addresses, control characters,
lone surrogates, and whatever passes a length cap. Validators' `input` and `ctx` are never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MAX_MESSAGE_LENGTH = 160
REMOVED = "…"

# Straight, curly and angle quotes; an unclosed quote hides the rest.
_QUOTED = re.compile(r"""(["'`\u201c\u201d\u2018\u2019«»]).*?(?:\1|[\u201d\u2019»]|$)""")
_EMAIL = re.compile(r"\S+@\S+")
_DIGITS = re.compile(r"[0-9]+")
# Lone surrogates too: JSON can carry them, PostgreSQL's text cannot.
_NOT_PRINTABLE = re.compile(r"[^\S ]+|[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r" {2,}")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")


def redacted(text: str, *, limit: int = MAX_MESSAGE_LENGTH) -> str:
    """`text` with quoted parts, digit runs and e-mail addresses replaced, on one line, at
    most `limit` characters."""
    text = _NOT_PRINTABLE.sub(" ", text)
    text = _QUOTED.sub(REMOVED, text)
    text = _EMAIL.sub(REMOVED, text)
    text = _DIGITS.sub("#", text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - len(REMOVED)].rstrip() + REMOVED
    return text


def refusal_message(body: dict[str, Any]) -> str:
    """A redacted explanation from SIAK's refusal body: its `reason`, else its `detail`
    (a text, or a FastAPI-style list of field errors); empty when it gives none."""
    for field in ("reason", "detail"):
        explanation = body.get(field)
        if isinstance(explanation, str) and explanation.strip():
            return redacted(explanation)
        if isinstance(explanation, list) and explanation:
            return redacted("; ".join(_field_errors(explanation)))
    return ""


def _field_errors(errors: Iterable[object]) -> list[str]:
    described = []
    for error in errors:
        if not isinstance(error, dict):
            continue
        # Only where and what: a validator's `input` (and often `ctx`) is the value itself.
        where = ".".join(_field_names(error.get("loc")))
        what = error.get("msg")
        what = what if isinstance(what, str) else str(error.get("type", "invalid"))
        described.append(f"{where}: {what}" if where else what)
    return described


def _field_names(location: object) -> list[str]:
    if not isinstance(location, list):
        return []
    # Whatever is not a plain field name (an index, a key the applicant chose) is left out.
    names = [part for part in location if isinstance(part, str) and _FIELD_NAME.fullmatch(part)]
    return names[1:] if names[:1] == ["body"] else names
