"""Operators' free text (reasons, names): one line, under the rule of `shared.operator_text`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.operator_text import ONE_LINE, unshowable

MAX_REASON = 300

# Refused up front: PostgreSQL's text refuses NUL (a 500 after the action), and the rest
# would garble or spoof the console, the status page or a terminal reading the audit.
OperatorReason = Annotated[str, Field(min_length=1, max_length=MAX_REASON), ONE_LINE]
ClientName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        examples=["Portal Dukcapil Makassar"],
    ),
    ONE_LINE,
]


def is_reason(text: str, *, longest: int = MAX_REASON) -> bool:
    """What an `OperatorReason` accepts (up to `longest`), for the console's forms."""
    return 1 <= len(text) <= longest and unshowable(text) is None
