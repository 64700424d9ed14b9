"""Subscribers in JavaScript read every event: the npm `cloudevents` SDK and ajv, in `js/`."""

from __future__ import annotations

import re
from pathlib import Path

from shared.events.schemas import SCHEMA_DIR
from tests.support.event_samples import sample_records, write_samples
from tests.support.sdk_projects import prepared_copy, ran

PROJECT = Path(__file__).parent / "js"
OTHER_TESTS = 3
"""The JavaScript tests besides one per sample record (schemas compile, coverage, a bad one)."""


def test_the_javascript_sdk_reads_every_record_and_ajv_validates_it(tmp_path: Path) -> None:
    project = prepared_copy(
        PROJECT,
        lockfiles=["package.json", "package-lock.json"],
        install=["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
    )
    records = write_samples(tmp_path)
    output = ran(
        ["node", "--test", "--test-reporter=tap", "sdk.test.mjs"],
        cwd=project,
        timeout=120,
        environment={"SCHEMA_DIR": str(SCHEMA_DIR), "SDK_RECORDS": str(records)},
    )
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output
    expected = len(sample_records()) + OTHER_TESTS
    assert re.search(rf"^# pass {expected}$", output, re.MULTILINE), output
