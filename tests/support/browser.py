"""Headless Chromium from the distribution, rendering pages served on loopback for the tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
INSTALL_COMMAND = "apt-get update && apt-get install -y chromium"
PHONE_WINDOW = (412, 900)
INDONESIAN_READER = "id-ID,id"

# Quiet and self-contained: no sandbox (tests run as root in CI), no GPU, nothing fetched
# from the network but the page itself, a throwaway profile per run.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


class BrowserMissingError(AssertionError):
    """Chromium is not installed, so the browser tests cannot run: they fail rather than skip."""


async def rendered_dom(
    url: str, *, accept_language: str = INDONESIAN_READER, timeout_s: float = 60.0
) -> str:
    """The page's DOM as Chromium serialises it after loading `url`."""
    return await _run_chromium(
        ["--dump-dom", url], accept_language=accept_language, timeout_s=timeout_s
    )


async def screenshot(
    url: str,
    path: Path,
    *,
    window: tuple[int, int] = PHONE_WINDOW,
    accept_language: str = INDONESIAN_READER,
    timeout_s: float = 60.0,
) -> Path:
    """A PNG of the first `window` pixels of `url`, as a phone of that size would show it."""
    await asyncio.to_thread(_clear, path)
    width, height = window
    await _run_chromium(
        [f"--screenshot={path}", f"--window-size={width},{height}", url],
        accept_language=accept_language,
        timeout_s=timeout_s,
    )
    if not await asyncio.to_thread(path.is_file):
        raise AssertionError(f"Chromium wrote no screenshot of {url} to {path}")
    return path


def _clear(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)


async def _run_chromium(arguments: list[str], *, accept_language: str, timeout_s: float) -> str:
    if not os.access(CHROMIUM, os.X_OK):
        raise BrowserMissingError(
            f"Chromium is needed for the browser tests and {CHROMIUM} is missing; "
            f"install it with `{INSTALL_COMMAND}` (or point CHROMIUM at a Chromium binary)"
        )
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        process = await asyncio.create_subprocess_exec(
            str(CHROMIUM),
            *_FLAGS,
            f"--user-data-dir={profile}",
            f"--accept-lang={accept_language}",
            *arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, so a hung run is killed whole
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise AssertionError(
                f"Chromium did not finish within {timeout_s:.0f} s: {arguments}"
            ) from None
    if process.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise AssertionError(f"Chromium exited with {process.returncode}: {tail}")
    return out.decode()
