"""The reference subscribers of `examples/`, run as their readers would run them."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from deploy.local.python_service import REPO_ROOT
from tests.support.sdk_projects import build_directory, maven, prepared_copy

EXAMPLES = REPO_ROOT / "examples"
JAVA_PACKAGE = "id.siakgate.examples"


@dataclass(frozen=True)
class Subscriber:
    """One example in one language: how to start it, and where it prints (stderr beside)."""

    language: str
    command: Sequence[str]
    cwd: Path
    output: Path

    @property
    def errors(self) -> Path:
        return self.output.with_suffix(".err")

    def lines(self) -> list[str]:
        return self.output.read_text().splitlines() if self.output.exists() else []


@dataclass(frozen=True)
class Builds:
    """The JavaScript and Java examples, installed and compiled once for a test."""

    javascript: Path
    java_classpath: str

    @classmethod
    def prepare(cls) -> Builds:
        """The Java examples are compiled once per content of `examples/java/` (the build
        directory outlives the session); the next test, or session, uses those classes."""
        javascript = prepared_copy(
            EXAMPLES / "javascript",
            lockfiles=["package.json", "package-lock.json"],
            install=["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        )
        with build_directory(EXAMPLES / "java") as build:
            classpath_file = build / "classpath.txt"
            built = build / ".built"
            if not built.exists():
                result = maven(
                    [
                        f"-Dexamples.build.dir={build}",
                        "compile",
                        "dependency:build-classpath",
                        f"-Dmdep.outputFile={classpath_file}",
                    ],
                    project=EXAMPLES / "java",
                )
                assert result.returncode == 0, result.stdout + result.stderr
                built.touch()
            classpath = f"{build / 'classes'}:{classpath_file.read_text().strip()}"
        return cls(javascript, classpath)

    def subscribers(
        self, directory: Path, *, python: str, javascript: str, java: str, arguments: list[str]
    ) -> list[Subscriber]:
        """The same example in the three languages, each given `arguments`."""
        return [
            Subscriber(
                "python",
                [sys.executable, str(EXAMPLES / "python" / python), *arguments],
                REPO_ROOT,
                directory / f"{python}.out",
            ),
            Subscriber(
                "javascript",
                ["node", javascript, *arguments],
                self.javascript,
                directory / f"{javascript}.out",
            ),
            Subscriber(
                "java",
                ["java", "-cp", self.java_classpath, f"{JAVA_PACKAGE}.{java}", *arguments],
                REPO_ROOT,
                directory / f"{java}.out",
            ),
        ]


@contextlib.asynccontextmanager
async def running(subscribers: Sequence[Subscriber]) -> AsyncIterator[None]:
    """The subscribers run (they follow their topic until stopped) for the block's length; one
    that stopped by itself fails the test, with what it wrote on stderr."""
    processes: list[asyncio.subprocess.Process] = []
    try:
        for subscriber in subscribers:
            with (
                subscriber.output.open("wb") as output,
                subscriber.errors.open("wb") as errors,
            ):
                processes.append(
                    await asyncio.create_subprocess_exec(
                        *subscriber.command, cwd=subscriber.cwd, stdout=output, stderr=errors
                    )
                )
        yield
    finally:
        stopped = [
            f"{subscriber.language} exited {process.returncode}:\n{subscriber.errors.read_text()}"
            for subscriber, process in zip(subscribers, processes, strict=False)
            if process.returncode is not None
        ]
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=10)
        if stopped:
            raise AssertionError("\n".join(stopped))
