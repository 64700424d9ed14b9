"""The one rule for operators' text: what it refuses, by Unicode property, and what it keeps."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from shared.operator_text import AS_PUBLISHED, ONE_LINE, unshowable
from tests.support.unshowable_text import SHOWABLE, UNSHOWABLE


@pytest.mark.parametrize("text", UNSHOWABLE)
@pytest.mark.parametrize("lines", [False, True])
def test_text_that_shows_as_other_text_than_it_holds_is_refused(text: str, lines: bool) -> None:
    assert unshowable(text, lines=lines) is not None


@pytest.mark.parametrize("text", SHOWABLE)
@pytest.mark.parametrize("lines", [False, True])
def test_real_text_in_the_regions_languages_and_scripts_is_accepted(text: str, lines: bool) -> None:
    assert unshowable(text, lines=lines) is None


def test_a_line_feed_is_kept_only_where_lines_are() -> None:
    notice = "Layanan ditutup.\nBuka kembali pukul 08.00 WITA."

    assert unshowable(notice, lines=True) is None
    assert unshowable(notice) is not None
    assert unshowable("tutup\r\nbuka", lines=True) is not None  # a carriage return is a control


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("fi\u200bxed", "U+200B"),
        ("fixed\U000e0069", "U+E0069"),
        ("fixed\u3164", "U+3164"),
        ("a\u0301\u0301\u0301\u0301", "U+0301"),
        ("a\u0336b", "U+0336"),
    ],
)
def test_the_refusal_names_the_character(text: str, named: str) -> None:
    why = unshowable(text)

    assert why is not None and named in why


def test_text_read_back_as_published_is_taken_as_it_was() -> None:
    class Reason(BaseModel):
        reason: Annotated[str, ONE_LINE]

    published = {"reason": "data_migration\u200f"}

    assert Reason.model_validate(published, context=AS_PUBLISHED).reason == published["reason"]
    with pytest.raises(ValidationError):
        Reason.model_validate(published)
