"""Subscribers in Java read every event: the io.cloudevents SDK and networknt, in `java/`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from shared.events.schemas import SCHEMA_DIR
from tests.support.event_samples import sample_records, write_samples
from tests.support.sdk_projects import run

PROJECT = Path(__file__).parent / "java"
OTHER_TESTS = 3
"""The Java tests besides one per sample record (schemas compile, coverage, a bad one)."""


def test_the_java_sdk_reads_every_record_and_networknt_validates_it(tmp_path: Path) -> None:
    records = write_samples(tmp_path)
    build = tmp_path / "target"
    maven = ["-B", "-q", "-f", str(PROJECT / "pom.xml"), f"-Dsdk.build.dir={build}", "test"]
    environment = {"SCHEMA_DIR": str(SCHEMA_DIR), "SDK_RECORDS": str(records)}
    # Offline when the local Maven repository has everything (it has after the first run).
    result = run(["mvn", "-o", *maven], cwd=PROJECT, timeout=300, environment=environment)
    if result.returncode != 0 and "offline mode" in result.stdout + result.stderr:
        result = run(["mvn", *maven], cwd=PROJECT, timeout=600, environment=environment)
    assert result.returncode == 0, result.stdout + result.stderr

    [report] = (build / "surefire-reports").glob("TEST-*.xml")
    counts = ET.parse(report).getroot().attrib
    assert {name: int(counts[name]) for name in ("tests", "failures", "errors", "skipped")} == {
        "tests": len(sample_records()) + OTHER_TESTS,
        "failures": 0,
        "errors": 0,
        "skipped": 0,
    }
