"""FastStream stays where it is until the gate moves to aiokafka (decision 14); no further."""

from __future__ import annotations

import ast
from pathlib import Path

from deploy.local.python_service import REPO_ROOT

STILL_ON_FASTSTREAM = {
    "services/queue_gate/adapters/kafka_link.py",
    "services/queue_gate/bootstrap.py",
    "services/queue_gate/entrypoints/status_consumer.py",
    "tests/integration/test_status_consumer.py",
    "tests/unit/queue_gate/fake_gate.py",
}
"""The gate's Kafka edge and its two test harnesses: the steps decision 14 leaves to do."""


def _imports_faststream(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(name == "faststream" or name.startswith("faststream.") for name in names):
            return True
    return False


def test_no_module_takes_up_faststream_beside_aiokafka() -> None:
    sources = [
        path
        for folder in ("services", "shared", "tests", "deploy", "bench", "chaos", "examples")
        for path in (REPO_ROOT / folder).rglob("*.py")
    ]
    using = {str(path.relative_to(REPO_ROOT)) for path in sources if _imports_faststream(path)}
    assert using <= STILL_ON_FASTSTREAM, "decision 14: Kafka through aiokafka"
    assert using == STILL_ON_FASTSTREAM, "moved to aiokafka: take it off the list"
