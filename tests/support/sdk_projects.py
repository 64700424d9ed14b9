"""Test projects in other languages, installed once per lockfile under `.cache/sdk/` and run."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from deploy.local.python_service import REPO_ROOT

SDK_CACHE = REPO_ROOT / ".cache" / "sdk"
INSTALLED_MARKER = ".installed"


def prepared_copy(source: Path, *, lockfiles: Sequence[str], install: Sequence[str] = ()) -> Path:
    """A copy of `source` with its dependencies installed by `install` (run in the copy).

    The copy is keyed by the lockfiles' content, so dependencies are fetched once until they
    change; the project's own files are copied in again on every call.
    """
    digest = hashlib.sha256()
    for name in lockfiles:
        digest.update((source / name).read_bytes())
    target = SDK_CACHE / f"{source.name}-{digest.hexdigest()[:16]}"
    target.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        _copy_sources(source, target)
        if install and not (target / INSTALLED_MARKER).exists():
            ran(install, cwd=target, timeout=600)
            (target / INSTALLED_MARKER).touch()
    return target


@contextmanager
def build_directory(project: Path) -> Iterator[Path]:
    """A build directory of `project`'s own under `.cache/sdk/`, keyed by the content of all
    its files, so a build tool compiles once until a file changes; held for the block (test
    sessions run side by side, and a build directory is not safe to share while in use)."""
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if path.is_file() and relative.parts[0] not in {"node_modules", "target"}:
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    target = SDK_CACHE / f"{project.parent.name}-{project.name}-build-{digest.hexdigest()[:16]}"
    target.mkdir(parents=True, exist_ok=True)
    with _locked(target):
        yield target


def ran(
    command: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    environment: Mapping[str, str] | None = None,
) -> str:
    """Run `command` (with `environment` added to ours); its output, or an AssertionError."""
    result = run(command, cwd=cwd, timeout=timeout, environment=environment)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{output}"
    return output


def maven(
    arguments: Sequence[str], *, project: Path, environment: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run Maven on `project`: offline when the local repository has everything (it has after
    the first run), online otherwise."""
    command = ["-B", "-q", "-f", str(project / "pom.xml"), *arguments]
    result = run(["mvn", "-o", *command], cwd=project, timeout=300, environment=environment)
    if result.returncode != 0 and "offline mode" in result.stdout + result.stderr:
        result = run(["mvn", *command], cwd=project, timeout=600, environment=environment)
    return result


def run(
    command: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    environment: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    if shutil.which(command[0]) is None:
        raise AssertionError(f"{command[0]} is not installed: the SDK contract tests need it")
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(environment or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _copy_sources(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_dir() or relative.parts[0] in {"node_modules", "target"}:
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / relative)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Test sessions run side by side: one installs, the others wait for it."""
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
