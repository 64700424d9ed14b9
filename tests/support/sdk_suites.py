"""The JavaScript and Java SDK suites of tests/sdk, run on a file of records (JSON lines)."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from deploy.local.python_service import REPO_ROOT
from shared.events.schemas import SCHEMA_DIR
from tests.support.sdk_projects import build_directory, maven, prepared_copy, ran

JS_PROJECT = REPO_ROOT / "tests" / "sdk" / "js"
JAVA_PROJECT = REPO_ROOT / "tests" / "sdk" / "java"
TESTS_BESIDE_RECORDS = 2
"""Each suite has one test per record and two more: the schemas compile, bad data is caught."""


def _environment(records: Path) -> dict[str, str]:
    return {"SCHEMA_DIR": str(SCHEMA_DIR), "SDK_RECORDS": str(records)}


def _count(records: Path) -> int:
    return sum(1 for line in records.read_text().splitlines() if line.strip())


def _javascript_project() -> Path:
    return prepared_copy(
        JS_PROJECT,
        lockfiles=["package.json", "package-lock.json"],
        install=["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
    )


def asyncapi_parser_accepts(document: Path) -> None:
    """The official AsyncAPI parser validates `document`, its payload schemas included."""
    output = ran(
        ["node", "--test", "--test-reporter=tap", "asyncapi.test.mjs"],
        cwd=_javascript_project(),
        timeout=120,
        environment={"ASYNCAPI_DOCUMENT": str(document)},
    )
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output
    assert re.search(r"^# pass 2$", output, re.MULTILINE), output


def javascript_sdk_reads(records: Path) -> None:
    """The npm `cloudevents` SDK reads every record; ajv compiles and checks the schemas."""
    project = _javascript_project()
    output = ran(
        ["node", "--test", "--test-reporter=tap", "sdk.test.mjs"],
        cwd=project,
        timeout=120,
        environment=_environment(records),
    )
    assert re.search(r"^# fail 0$", output, re.MULTILINE), output
    expected = _count(records) + TESTS_BESIDE_RECORDS
    assert re.search(rf"^# pass {expected}$", output, re.MULTILINE), output


def java_sdk_reads(records: Path) -> None:
    """The io.cloudevents SDK reads every record; networknt compiles and checks the schemas.

    The build directory outlives the session, so Maven compiles the suite once until its
    sources change; the suite itself runs every time, on these records."""
    with build_directory(JAVA_PROJECT) as build:
        reports = build / "surefire-reports"
        shutil.rmtree(reports, ignore_errors=True)  # a report of an earlier run is no answer
        result = maven(
            # forkCount=0: the suite runs inside Maven's JVM, one JVM start fewer per run.
            [f"-Dsdk.build.dir={build}", "-DforkCount=0", "test"],
            project=JAVA_PROJECT,
            environment=_environment(records),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        [report] = reports.glob("TEST-*.xml")
        counts = ET.parse(report).getroot().attrib
    assert {name: int(counts[name]) for name in ("tests", "failures", "errors", "skipped")} == {
        "tests": _count(records) + TESTS_BESIDE_RECORDS,
        "failures": 0,
        "errors": 0,
        "skipped": 0,
    }
