"""Operators' free text (reasons, names): one line without control characters."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from shared.events.status import PLAIN_TEXT_PATTERN

MAX_REASON = 300

# PostgreSQL's text refuses NUL (a 500 after the action), and escapes would reach whoever
# reads the audit in a terminal: refused up front, as the events refuse them.
OperatorReason = Annotated[
    str, Field(min_length=1, max_length=MAX_REASON, pattern=PLAIN_TEXT_PATTERN)
]
ClientName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=PLAIN_TEXT_PATTERN,
        examples=["Portal Dukcapil Makassar"],
    ),
]


def is_reason(text: str) -> bool:
    """What an `OperatorReason` accepts, for the console's forms."""
    return 1 <= len(text) <= MAX_REASON and re.fullmatch(PLAIN_TEXT_PATTERN, text) is not None
