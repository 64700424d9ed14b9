"""Text operators type and others read (reasons, names, notices): the characters it may not hold."""

from __future__ import annotations

# Controls (C0, DEL and C1) break storage (PostgreSQL's text refuses NUL) and reach a terminal
# reading the audit as escapes; line and paragraph separators break a line where a page
# expects none; bidi controls reorder what follows them, so a reason or notice on the status
# page or the console would read as other words than it holds.
_REFUSED_BUT_LINE_FEED = (
    r"\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
)
ONE_LINE_PATTERN = rf"^[^{_REFUSED_BUT_LINE_FEED}\n]*$"
"""One line: no control, separator or bidi control characters."""
LINES_PATTERN = rf"^[^{_REFUSED_BUT_LINE_FEED}]*$"
"""As `ONE_LINE_PATTERN`, but line feeds are kept (a notice's paragraphs)."""
