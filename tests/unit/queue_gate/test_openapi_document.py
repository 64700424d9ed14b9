"""The gate's OpenAPI document is whole: what it refers to is in it, its examples are valid."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from services.queue_gate.domain.submission import SubmissionRequest
from tests.unit.queue_gate.fake_gate import gate_app, gate_settings
from tests.unit.queue_gate.fakes import FakePorts


def _document() -> dict[str, Any]:
    return gate_app(gate_settings(), FakePorts()).openapi()


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict[str, Any], ref: str) -> object:
    node: object = document
    for part in ref.removeprefix("#/").split("/"):
        assert isinstance(node, dict) and part in node, f"{ref} points at nothing"
        node = node[part]
    return node


def test_every_reference_in_the_document_resolves() -> None:
    document = _document()

    refs = set(_refs(document))

    assert refs
    for ref in refs:
        _resolve(document, ref)


def test_the_submission_example_is_a_valid_submission() -> None:
    body = _document()["paths"]["/v1/submissions"]["post"]["requestBody"]["content"]
    example = body["application/json"]["example"]

    SubmissionRequest.model_validate(example)
