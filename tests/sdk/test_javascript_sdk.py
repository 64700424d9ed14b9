"""Subscribers in JavaScript read every kind of event: the npm `cloudevents` SDK and ajv."""

from __future__ import annotations

from pathlib import Path

from tests.support.event_samples import write_samples
from tests.support.sdk_suites import javascript_sdk_reads


def test_the_javascript_sdk_reads_every_kind_of_record_and_ajv_validates_it(
    tmp_path: Path,
) -> None:
    javascript_sdk_reads(write_samples(tmp_path))
