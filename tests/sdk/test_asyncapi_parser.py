"""The committed AsyncAPI document passes the official parser, payload schemas checked."""

from __future__ import annotations

from shared.events.asyncapi import ASYNCAPI_PATH
from tests.support.sdk_suites import asyncapi_parser_accepts


def test_the_official_asyncapi_parser_validates_the_document_and_its_schemas() -> None:
    asyncapi_parser_accepts(ASYNCAPI_PATH)
