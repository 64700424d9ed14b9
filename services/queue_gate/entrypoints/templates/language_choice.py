"""Which language a reader gets: `?lang=` first, then Accept-Language, then Bahasa Indonesia."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    ID = "id"
    EN = "en"


DEFAULT_LANGUAGE = Language.ID


def choose_language(requested: str | None, accept_language: str | None) -> Language:
    """The page's language named by `?lang=`, else the reader's favourite of Accept-Language."""
    return _supported(requested or "") or _preferred(accept_language or "") or DEFAULT_LANGUAGE


def _supported(tag: str) -> Language | None:
    primary = tag.strip().partition("-")[0].lower()
    try:
        return Language(primary)
    except ValueError:
        return None


def _preferred(accept_language: str) -> Language | None:
    """The supported language of highest weight; the first listed wins a tie."""
    best: Language | None = None
    best_weight = 0.0
    for item in accept_language.split(","):
        tag, *parameters = item.split(";")
        language = _supported(tag)
        weight = _weight(parameters)
        if language is not None and weight > best_weight:
            best, best_weight = language, weight
    return best


def _weight(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                return 0.0
            return weight if 0.0 <= weight <= 1.0 else 0.0
    return 1.0
