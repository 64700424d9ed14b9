"""Removing a throwaway state directory (broker logs, PostgreSQL data) without waiting for it."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path


def remove_in_background(path: Path) -> None:
    """Move `path` aside at once and leave its removal to an `rm -rf` of its own.

    Thousands of small files (a PostgreSQL cluster, a broker's logs) took 3-4 s to unlink on
    this machine, and nothing needs them gone before the tests go on. The `rm` runs in a
    session of its own, so it finishes even after pytest has exited."""
    if not path.exists():
        return
    doomed = path.with_name(f".removing-{path.name}-{uuid.uuid4().hex[:8]}")
    path.rename(doomed)
    subprocess.Popen(
        ["rm", "-rf", "--", str(doomed)],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
