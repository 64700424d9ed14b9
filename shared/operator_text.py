"""Text operators type and others read (reasons, names, notices): what it may not hold."""

from __future__ import annotations

import unicodedata

from pydantic import AfterValidator, ValidationInfo

# By Unicode property rather than a list, so what a list would miss is refused too: controls
# (Cc) break storage (PostgreSQL's text refuses NUL) and reach a terminal reading the audit as
# escapes; format characters (Cf: bidi controls, zero-width spaces and joiners, the BOM, the
# soft hyphen, TAG characters carrying a whole invisible sentence) reorder the text or are
# drawn as nothing, so it reads as other words than it holds; line and paragraph separators
# (Zl, Zp) break a line where a page expects none; surrogates, private-use and unassigned
# code points (Cs, Co, Cn) have no agreed look. The Hangul fillers are letters drawn as blanks.
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible format character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "a surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Marks drawn over or under their letter (Mn, Me) can be piled into a column over the lines
# around it; three on one letter is as many as Indonesian, Javanese or Balinese writing needs
# (spacing marks, Mc, take their own room and are not counted). A mark drawn through its
# letter (combining class 1, overlay: U+0336 strikes it out) makes a word read as withdrawn.
MAX_MARKS_ON_A_LETTER = 3
_STACKED_MARKS = frozenset({"Mn", "Me"})
_OVERLAY = 1


def unshowable(text: str, *, lines: bool = False) -> str | None:
    """Why `text` would not show as it reads, or None when it would. `lines` keeps line feeds
    (a notice's paragraphs); a carriage return is a control all the same."""
    marks = 0
    for character in text:
        category = unicodedata.category(character)
        if category in _STACKED_MARKS:
            marks += 1
            if marks > MAX_MARKS_ON_A_LETTER:
                return f"{_code(character)}: more than {MAX_MARKS_ON_A_LETTER} marks on a letter"
            if unicodedata.combining(character) == _OVERLAY:
                return f"{_code(character)}: a mark drawn through its letter"
            continue
        marks = 0
        if character == "\n":
            if lines:
                continue
            return "a line break: one line only"
        if category in _REFUSED_CATEGORIES:
            return f"{_code(character)}: {_REFUSED_CATEGORIES[category]}"
        if character in _BLANK_LETTERS:
            return f"{_code(character)}: a letter drawn as a blank"
    return None


def _code(character: str) -> str:
    return f"U+{ord(character):04X}"


AS_PUBLISHED = {"operator_text": "as published"}
"""Validation context for text read back from what an earlier version accepted and published:
taken as it was, since refusing it now would only forget it (a maintenance window, its
cancellation); the rule is for what operators type from now on."""


def read_back(info: ValidationInfo) -> bool:
    """Whether this validation reads back published text (`AS_PUBLISHED`)."""
    return isinstance(info.context, dict) and info.context.items() >= AS_PUBLISHED.items()


def _shows_on_one_line(text: str, info: ValidationInfo) -> str:
    why = None if read_back(info) else unshowable(text)
    if why is not None:
        raise ValueError(why)
    return text


ONE_LINE = AfterValidator(_shows_on_one_line)
"""Pydantic: refuses a string that would not show as it reads on one line (a reason, a name).
Put after the field's length bounds, so an overlong string is refused before it is read."""
