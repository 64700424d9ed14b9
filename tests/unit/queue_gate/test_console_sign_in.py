"""Signing in to the console: a session cookie, CSRF on every form, idle expiry, a limit."""

from __future__ import annotations

from datetime import timedelta

from services.queue_gate.operators.ports import Role
from tests.unit.queue_gate.console_client import PASSWORD, an_operator, csrf_token, sign_in
from tests.unit.queue_gate.fake_gate import gate_settings, running_gate
from tests.unit.queue_gate.fakes import FakePorts


async def test_the_console_sends_a_stranger_to_the_sign_in_form() -> None:
    async with running_gate() as gate:
        answer = await gate.http.get("/console?lang=en")
        form = await gate.http.get(answer.headers["Location"])

    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console/sign-in?lang=en"
    assert form.status_code == 200
    assert '<html lang="en">' in form.text
    assert 'type="password"' in form.text
    assert '<a href="?lang=id" lang="id">Bahasa Indonesia</a>' in form.text


async def test_signing_in_sets_an_http_only_strict_session_cookie() -> None:
    ports = FakePorts()
    name = await an_operator(ports)
    async with running_gate(ports=ports) as gate:
        answer = await sign_in(gate.http, name)
        console = await gate.http.get("/console")

    cookie = answer.headers["set-cookie"].lower()
    assert answer.status_code == 303
    assert "console_session=" in cookie
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert "secure" not in cookie  # served over plain HTTP here
    assert console.status_code == 200
    assert '<html lang="id">' in console.text
    assert "<strong>ani</strong>" in console.text
    [entry] = await ports.console.audit.search("sign_in", limit=10)
    assert entry.actor == "ani"


async def test_the_cookie_is_secure_when_the_setting_says_so() -> None:
    ports = FakePorts()
    name = await an_operator(ports)
    async with running_gate(gate_settings(console_cookie_secure=True), ports=ports) as gate:
        answer = await sign_in(gate.http, name)

    assert "secure" in answer.headers["set-cookie"].lower()


async def test_a_wrong_password_or_unknown_name_opens_nothing() -> None:
    ports = FakePorts()
    name = await an_operator(ports)
    async with running_gate(ports=ports) as gate:
        wrong = await sign_in(gate.http, name, "not-the-password")
        unknown = await sign_in(gate.http, "nobody")
        console = await gate.http.get("/console")

    assert wrong.status_code == unknown.status_code == 401
    assert "Nama akun atau kata sandi salah." in wrong.text
    assert "console_session" not in wrong.headers.get("set-cookie", "")
    assert console.status_code == 303
    assert ports.console.sessions.sessions == {}


async def test_signing_in_without_the_forms_csrf_token_is_refused() -> None:
    ports = FakePorts()
    name = await an_operator(ports)
    async with running_gate(ports=ports) as gate:
        await gate.http.get("/console/sign-in")
        answer = await gate.http.post("/console/sign-in", data={"name": name, "password": PASSWORD})

    assert answer.status_code == 403
    assert ports.console.sessions.sessions == {}


async def test_signing_out_needs_the_sessions_csrf_token_and_then_ends_it() -> None:
    ports = FakePorts()
    name = await an_operator(ports)
    async with running_gate(ports=ports) as gate:
        await sign_in(gate.http, name)
        page = await gate.http.get("/console")
        forged = await gate.http.post("/console/sign-out", data={"csrf_token": "forged"})
        still = await gate.http.get("/console")
        out = await gate.http.post("/console/sign-out", data={"csrf_token": csrf_token(page)})
        after = await gate.http.get("/console")

    assert forged.status_code == 403
    assert still.status_code == 200
    assert out.status_code == 303
    assert out.headers["Location"] == "/console/sign-in?lang=id&signed_out=true"
    assert after.status_code == 303
    assert ports.console.sessions.sessions == {}


async def test_a_session_idle_longer_than_the_setting_ends() -> None:
    ports = FakePorts()
    name = await an_operator(ports)
    settings = gate_settings(console_idle_timeout_s=600)
    async with running_gate(settings, ports=ports) as gate:
        await sign_in(gate.http, name)
        ports.clock.advance(timedelta(minutes=9))
        kept = await gate.http.get("/console")  # each request moves the idle deadline
        ports.clock.advance(timedelta(minutes=9))
        still = await gate.http.get("/console")
        ports.clock.advance(timedelta(minutes=10, seconds=1))
        expired = await gate.http.get("/console")

    assert [kept.status_code, still.status_code] == [200, 200]
    assert expired.status_code == 303
    assert expired.headers["Location"].startswith("/console/sign-in")
    assert ports.console.sessions.sessions == {}


async def test_failed_sign_ins_past_the_limit_wait_even_with_the_right_password() -> None:
    ports = FakePorts()
    name = await an_operator(ports)
    settings = gate_settings(console_sign_in_attempts=3, console_sign_in_window_s=300)
    async with running_gate(settings, ports=ports) as gate:
        failures = [await sign_in(gate.http, name, "wrong-password-1") for _ in range(3)]
        held = await sign_in(gate.http, name)
        ports.clock.advance(timedelta(seconds=301))
        later = await sign_in(gate.http, name)

    assert [failure.status_code for failure in failures] == [401] * 3
    assert held.status_code == 429
    assert held.headers["Retry-After"] == "300"
    assert later.status_code == 303


async def test_a_form_that_is_not_url_encoded_is_refused() -> None:
    async with running_gate() as gate:
        answer = await gate.http.post("/console/sign-in", json={"name": "ani"})

    assert answer.status_code == 415


async def test_a_viewer_may_sign_in_and_look() -> None:
    ports = FakePorts()
    name = await an_operator(ports, "budi", Role.VIEWER)
    async with running_gate(ports=ports) as gate:
        await sign_in(gate.http, name)
        page = await gate.http.get("/console")

    assert page.status_code == 200
    assert "<strong>budi</strong>" in page.text


async def test_a_strangers_failures_from_a_shared_address_do_not_hold_an_operators_password() -> (
    None
):
    """Behind ingress-nginx every browser arrives from the controller's address."""
    ports = FakePorts()
    name = await an_operator(ports)
    async with running_gate(ports=ports) as gate:
        strangers = [await sign_in(gate.http, f"guess{i}", "x") for i in range(5)]
        guessed = [await sign_in(gate.http, "budi", "x") for _ in range(5)]
        admitted = await sign_in(gate.http, name)

    assert [answer.status_code for answer in strangers + guessed] == [401] * 10
    assert admitted.status_code == 303


async def test_guessing_one_accounts_password_is_still_held() -> None:
    ports = FakePorts()
    name = await an_operator(ports)
    async with running_gate(ports=ports) as gate:
        guesses = [await sign_in(gate.http, name, f"guess-{i}") for i in range(6)]

    assert [answer.status_code for answer in guesses] == [401] * 5 + [429]
