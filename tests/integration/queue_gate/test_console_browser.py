"""The operator console in a real Chromium (Playwright): sign-in, a retry, an override and a
maintenance window, then what the page, the API and the database hold; CSRF, idle expiry,
keyboard use and axe-core's WCAG 2 A/AA rules."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from deploy.local.python_service import REPO_ROOT
from services.queue_gate.bootstrap import create_app
from services.siak_sim.app import create_app as create_simulator
from services.siak_sim.state import SimulatedSiak
from shared import topics
from shared.clock import utc_now
from shared.events import SiakStatus
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import (
    API_KEY,
    StatusFeed,
    gate_settings,
    nik,
    submission_body,
    take_regions,
)
from tests.support.browser import CHROMIUM, PHONE_WINDOW
from tests.support.databases import fresh_database
from tests.support.polling import eventually
from tests.support.sdk_projects import prepared_copy
from tests.support.servers import serving
from tests.support.status_consumers import status_group
from tests.unit.siak_monitor.fakes import FakeClock, ready_app
from tests.unit.siak_monitor.fakes import settings as monitor_settings

pytestmark = pytest.mark.integration

OPERATOR = "ani"
PASSWORD = "kopi-toraja-2026-browser"
MONITOR_TOKEN = "console-test-monitor-token"
IDLE_TIMEOUT_S = 900
AXE_PROJECT = REPO_ROOT / "tests" / "browser" / "axe"
WCAG = ["wcag2a", "wcag2aa"]
WATCHED = "73.71"


@dataclass
class ConsoleStack:
    url: str
    monitor_url: str
    database_url: str
    http: httpx.AsyncClient
    status: StatusFeed
    siak: SimulatedSiak
    browser: Browser
    skew: list[timedelta] = field(default_factory=lambda: [timedelta(0)])

    async def page(self, *, width: int = PHONE_WINDOW[0]) -> Page:
        context = await self.browser.new_context(
            viewport={"width": width, "height": PHONE_WINDOW[1]},
            locale="id-ID",
            # The pages allow no script at all; axe-core is injected past that policy.
            bypass_csp=True,
        )
        return await context.new_page()

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.database_url)
        try:
            return list(await connection.fetch(query, *args))
        finally:
            await connection.close()


@pytest.fixture(scope="module")
def axe_script() -> Path:
    """axe-core from npm (tests/browser/axe), installed once per lockfile."""
    project = prepared_copy(
        AXE_PROJECT,
        lockfiles=["package.json", "package-lock.json"],
        install=["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
    )
    return project / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def simulated_siak() -> Iterator[SimulatedSiak]:
    yield SimulatedSiak()


@pytest.fixture(scope="module")
async def stack(
    infrastructure: Infrastructure, simulated_siak: SimulatedSiak
) -> AsyncIterator[ConsoleStack]:
    await ensure_topics(
        KafkaSettings.plaintext(infrastructure.bootstrap_servers), topics.GATE_TOPICS
    )
    skew = [timedelta(0)]

    def clock() -> datetime:
        return utc_now() + skew[0]

    # The monitor's own routes and maintenance calendar, its prober and publisher faked.
    monitor = ready_app(monitor_settings(WATCHED, admin_token=MONITOR_TOKEN), FakeClock())
    async with (
        fresh_database(infrastructure.database_url) as database_url,
        serving(create_simulator(simulated_siak)) as siak_url,
        serving(monitor) as monitor_url,
    ):
        settings = gate_settings(
            infrastructure,
            database_url,
            siak_url,
            monitor_url=monitor_url,
            monitor_admin_token=MONITOR_TOKEN,
            console_idle_timeout_s=IDLE_TIMEOUT_S,
            consumer_group=await status_group(infrastructure.bootstrap_servers, "gate"),
        )
        async with (
            serving(create_app(settings, clock=clock)) as url,
            httpx.AsyncClient(timeout=10) as http,
            async_playwright() as playwright,
        ):
            await asyncio.to_thread(_create_operator, database_url)
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            try:
                yield ConsoleStack(
                    url,
                    monitor_url,
                    database_url,
                    http,
                    StatusFeed(infrastructure.bootstrap_servers),
                    simulated_siak,
                    browser,
                    skew,
                )
            finally:
                await browser.close()


def _create_operator(database_url: str) -> None:
    """With the command ops use: the password on stdin, never an argument."""
    command = [sys.executable, "-m", "services.queue_gate.operators", "create", OPERATOR]
    done = subprocess.run(
        [*command, "--role", "operator"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"created operator {OPERATOR}"


async def sign_in(stack: ConsoleStack, page: Page) -> None:
    await page.goto(f"{stack.url}/console")
    await expect(page).to_have_url(f"{stack.url}/console/sign-in?lang=id")
    await page.get_by_label("Nama akun").fill(OPERATOR)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page).to_have_url(f"{stack.url}/console?lang=id")
    await expect(page.locator(".who")).to_contain_text(OPERATOR)


async def parked_submission(stack: ConsoleStack, region: str) -> str:
    """A submission SIAK refused: deferred while the region was down, refused once it was up."""
    await stack.status.set(region, SiakStatus.DOWN)
    answer = await stack.http.post(
        f"{stack.url}/v1/submissions",
        json=submission_body(region, nik(1, province=region[:2])),
        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": f"console-{region}"},
    )
    assert answer.status_code == 202, answer.text
    ticket: str = answer.json()["ticket_id"]
    stack.siak.reject_keys([ticket], reason="DATA_MISMATCH")
    await stack.status.set(region, SiakStatus.UP)

    async def parked() -> bool:
        view = (await stack.http.get(f"{stack.url}/v1/submissions/{ticket}")).json()
        return bool(view["state"] == "parked")

    await eventually(parked, within=30, what="the refused submission parked")
    return ticket


async def test_an_operator_signs_in_and_retries_a_parked_submission(stack: ConsoleStack) -> None:
    [region] = take_regions(1)
    ticket = await parked_submission(stack, region)
    await stack.status.set(region, SiakStatus.DOWN)  # the retried one then waits in line

    async def closed() -> bool:
        # Published is not yet applied: retried before the gate closes, it would go to SIAK.
        view = (await stack.http.get(f"{stack.url}/v1/regions/{region}")).json()
        return bool(view["siak_status"] == "DOWN")

    await eventually(closed, within=30, what="the gate closed again")
    page = await stack.page()
    await sign_in(stack, page)

    await page.get_by_role("link", name="Pengajuan tertahan").click()
    card = page.locator(f'li[data-ticket="{ticket}"]')
    await expect(card).to_contain_text("siak_refused")
    retry = card.get_by_role("form", name=f"Coba lagi {ticket}")
    await retry.get_by_label("Alasan").fill("data diperbaiki di SIAK")
    await retry.get_by_role("button", name="Coba lagi").click()

    await expect(page.get_by_role("status")).to_have_text("Tersimpan.")
    await expect(page.locator(f'li[data-ticket="{ticket}"]')).to_have_count(0)
    view = (await stack.http.get(f"{stack.url}/v1/submissions/{ticket}")).json()
    assert view["state"] in ("queued", "deferred")
    [audit] = await stack.fetch(
        "SELECT actor, action, reason FROM operator_action_audit WHERE subject = $1", ticket
    )
    assert tuple(audit) == (OPERATOR, "retry", "data diperbaiki di SIAK")
    assert nik(1, province=region[:2]) not in await page.content()


async def test_an_override_shows_on_the_page_in_the_api_and_the_audit(
    stack: ConsoleStack,
) -> None:
    [region] = take_regions(1)
    await stack.status.set(region, SiakStatus.UP)
    page = await stack.page()
    await sign_in(stack, page)

    await page.get_by_role("link", name="Kendali wilayah").click()
    other = page.get_by_role("form", name="Wilayah lain")
    await other.get_by_label("Kode wilayah").fill(region)
    await other.get_by_label("Paksa gerbang").select_option("force_closed")
    await other.get_by_label("Alasan").fill("SIAK minta ditahan")
    await other.get_by_role("button", name="Simpan").click()

    await expect(page.get_by_role("status")).to_have_text("Tersimpan.")
    await expect(page.locator(f'li[data-region="{region}"]')).to_contain_text("force_closed")
    view = (await stack.http.get(f"{stack.url}/v1/regions/{region}")).json()
    assert (view["override"], view["gate_state"]) == ("force_closed", "closed")
    [audit] = await stack.fetch(
        "SELECT changed_by, reason FROM region_control_audit WHERE region_code = $1", region
    )
    assert tuple(audit) == (OPERATOR, "SIAK minta ditahan")


async def test_an_operator_cancels_a_parked_submission_and_pauses_and_slows_a_replay(
    stack: ConsoleStack,
) -> None:
    [region] = take_regions(1)
    ticket = await parked_submission(stack, region)
    page = await stack.page()
    await sign_in(stack, page)

    await page.get_by_role("link", name="Pengajuan tertahan").click()
    cancel = page.locator(f'li[data-ticket="{ticket}"]').get_by_role(
        "form", name=f"Batalkan {ticket}"
    )
    await cancel.get_by_label("Alasan").fill("pemohon datang ke kantor")
    await cancel.get_by_role("button", name="Batalkan").click()
    await expect(page.get_by_role("status")).to_have_text("Tersimpan.")
    view = (await stack.http.get(f"{stack.url}/v1/submissions/{ticket}")).json()
    assert view["state"] == "cancelled"

    await page.get_by_role("link", name="Kendali wilayah").click()
    other = page.get_by_role("form", name="Wilayah lain")
    await other.get_by_label("Kode wilayah").fill(region)
    await other.get_by_label("Jeda kirim ulang").select_option("true")
    await other.get_by_label("Laju maksimum (/detik)").fill("2.5")
    await other.get_by_label("Alasan").fill("SIAK lambat")
    await other.get_by_role("button", name="Simpan").click()
    await expect(page.get_by_role("status")).to_have_text("Tersimpan.")

    region_view = (await stack.http.get(f"{stack.url}/v1/regions/{region}")).json()
    assert region_view["replay_paused"] is True
    [control] = await stack.fetch(
        "SELECT replay_paused, max_rate FROM region_control WHERE region_code = $1", region
    )
    assert tuple(control) == (True, 2.5)
    [moved] = await stack.fetch(
        "SELECT actor, action, reason FROM operator_action_audit WHERE subject = $1", ticket
    )
    assert tuple(moved) == (OPERATOR, "cancel", "pemohon datang ke kantor")
    [changed] = await stack.fetch(
        "SELECT changed_by, reason FROM region_control_audit WHERE region_code = $1", region
    )
    assert tuple(changed) == (OPERATOR, "SIAK lambat")


async def test_a_maintenance_window_is_scheduled_changed_and_cancelled(
    stack: ConsoleStack,
) -> None:
    region = WATCHED  # a window names regions the monitor watches
    page = await stack.page(width=1280)
    await sign_in(stack, page)

    await page.get_by_role("link", name="Jadwal pemeliharaan").click()
    new = page.get_by_role("form", name="Jadwalkan")
    await new.get_by_label("Wilayah (kode").fill(region)
    await new.get_by_label("Mulai", exact=True).fill("2030-01-31T22:00")
    await new.get_by_label("Selesai", exact=True).fill("2030-02-01T02:00")
    await new.get_by_label("Alasan").fill("data_migration")
    await new.get_by_label("Pesan (Bahasa Indonesia)").fill("Pemeliharaan SIAK malam ini")
    await new.get_by_label("Pesan (English)").fill("SIAK maintenance tonight")
    await new.get_by_role("button", name="Jadwalkan").click()
    await expect(page.get_by_role("status")).to_have_text("Tersimpan.")

    [plan] = (await stack.http.get(f"{stack.monitor_url}/v1/maintenance")).json()
    assert (plan["regions"], plan["starts_at"][:16]) == ([region], "2030-01-31T22:00")
    card = page.locator(f'li[data-plan="{plan["id"]}"]')
    await expect(card).to_contain_text("Pemeliharaan SIAK malam ini")
    change = card.get_by_role("form", name=f"Ubah {plan['id']}")
    await change.get_by_label("Selesai", exact=True).fill("2030-02-01T04:00")
    await change.get_by_role("button", name="Ubah").click()
    await expect(page.get_by_role("status")).to_have_text("Tersimpan.")
    [changed] = (await stack.http.get(f"{stack.monitor_url}/v1/maintenance")).json()
    assert changed["ends_at"][:16] == "2030-02-01T04:00"

    cancel = page.get_by_role("form", name=f"Batalkan {plan['id']}")
    await cancel.get_by_label("Alasan").fill("SIAK menunda migrasi")
    await cancel.get_by_role("button", name="Batalkan").click()
    await expect(page.get_by_text("Tidak ada jadwal pemeliharaan.")).to_be_visible()
    assert (await stack.http.get(f"{stack.monitor_url}/v1/maintenance")).json() == []

    await page.get_by_role("link", name="Log audit").click()
    await page.get_by_label("Kata kunci").fill(plan["id"])
    await page.get_by_role("button", name="Cari").click()
    for action in ("maintenance_scheduled", "maintenance_changed", "maintenance_cancelled"):
        await expect(page.locator("main")).to_contain_text(action)


async def test_a_form_without_its_csrf_token_is_refused(stack: ConsoleStack) -> None:
    [region] = take_regions(1)
    page = await stack.page()
    await sign_in(stack, page)
    await page.get_by_role("link", name="Kendali wilayah").click()

    other = page.get_by_role("form", name="Wilayah lain")
    await other.locator('input[name="csrf_token"]').evaluate("input => input.remove()")
    await other.get_by_label("Kode wilayah").fill(region)
    await other.get_by_label("Paksa gerbang").select_option("force_open")
    await other.get_by_label("Alasan").fill("tanpa token")
    async with page.expect_response(lambda answer: answer.request.method == "POST") as posted:
        await other.get_by_role("button", name="Simpan").click()

    assert (await posted.value).status == 403
    rows = await stack.fetch("SELECT 1 FROM region_control WHERE region_code = $1", region)
    assert rows == []


async def test_an_idle_session_goes_back_to_sign_in(stack: ConsoleStack) -> None:
    page = await stack.page()
    await sign_in(stack, page)
    stack.skew[0] = timedelta(seconds=IDLE_TIMEOUT_S + 1)
    try:
        await page.reload()
        await expect(page).to_have_url(f"{stack.url}/console/sign-in?lang=id")
        await expect(page.get_by_label("Kata sandi")).to_be_visible()
    finally:
        stack.skew[0] = timedelta(0)


async def test_signing_in_works_from_the_keyboard(stack: ConsoleStack) -> None:
    page = await stack.page()
    await page.goto(f"{stack.url}/console/sign-in")

    for _ in range(6):  # skip link, language link, then the name field
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == "name":
            break
    await page.keyboard.type(OPERATOR)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(f"{stack.url}/console?lang=id")


PAGES = ["/console", "/console/parked", "/console/controls", "/console/maintenance"]


@pytest.mark.parametrize("language", ["id", "en"])
async def test_every_page_passes_axe_wcag2_a_and_aa_and_fits_a_phone(
    stack: ConsoleStack, axe_script: Path, language: str
) -> None:
    [region] = take_regions(1)
    await stack.status.set(region, SiakStatus.DOWN)
    page = await stack.page()
    await page.goto(f"{stack.url}/console/sign-in?lang={language}")
    checked = [await _violations(page, axe_script)]
    await sign_in(stack, page)
    for path in [*PAGES, "/console/audit?q=sign_in"]:
        separator = "&" if "?" in path else "?"
        await page.goto(f"{stack.url}{path}{separator}lang={language}")
        await expect(page.locator("html")).to_have_attribute("lang", language)
        checked.append(await _violations(page, axe_script))
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is wider than a phone by {overflow}px"

    assert [violations for violations in checked if violations] == []
    assert len(checked) == 6
    # The check itself can fail: a field without a label is a violation to axe.
    await page.set_content('<!doctype html><html lang="id"><title>t</title><input id="x">')
    assert [v["id"] for v in await _violations(page, axe_script)] == ["label"]


async def _violations(page: Page, axe_script: Path) -> list[dict[str, Any]]:
    await page.add_script_tag(path=axe_script)
    result: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        {"id": v["id"], "url": page.url, "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
