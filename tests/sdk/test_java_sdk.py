"""Subscribers in Java read every kind of event: the io.cloudevents SDK and networknt."""

from __future__ import annotations

from pathlib import Path

from tests.support.event_samples import write_samples
from tests.support.sdk_suites import java_sdk_reads


def test_the_java_sdk_reads_every_kind_of_record_and_networknt_validates_it(
    tmp_path: Path,
) -> None:
    java_sdk_reads(write_samples(tmp_path))
