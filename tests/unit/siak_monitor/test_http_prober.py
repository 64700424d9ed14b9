"""The HTTP prober: what counts as healthy, how failures are named, and how little it reads."""

from __future__ import annotations

import ssl
from pathlib import Path

from deploy.local.certificates import make_local_certificates
from services.siak_monitor.adapters.http1 import Answer, Http1Client
from services.siak_monitor.adapters.http_prober import BODY_CHECK_LIMIT, HttpProber
from services.siak_monitor.domain.probe import ProbeResult, ProbeTarget
from tests.unit.siak_monitor.fakes import FakeClock
from tests.unit.siak_monitor.loopback_siak import (
    DROP,
    HANG,
    Script,
    answer,
    loopback_siak,
    unused_port,
)

HUGE = 20 * 2**20


async def probe(script: Script, *, contains: str | None = None) -> ProbeResult:
    async with loopback_siak(script) as siak, Http1Client(max_idle_per_origin=1) as client:
        prober = HttpProber(client, clock=FakeClock())
        target = ProbeTarget("73.71", siak.url(), body_contains=contains, timeout_s=0.2)
        return await prober.probe(target)


async def test_an_expected_status_is_healthy_and_timed() -> None:
    result = await probe(lambda n: answer())

    assert (result.ok, result.http_status, result.error) == (True, 200, None)
    assert result.latency_ms is not None and result.latency_ms >= 0


async def test_another_status_fails_by_its_code() -> None:
    result = await probe(lambda n: answer(b"down", "503 Service Unavailable"))

    assert (result.ok, result.http_status, result.error) == (False, 503, "http_503")


async def test_a_huge_answer_is_read_only_as_far_as_the_text_checked() -> None:
    healthy = answer(b'{"status": "ok"}' + b"x" * HUGE)
    missing = answer(b"x" * HUGE)

    assert (await probe(lambda n: healthy, contains='"ok"')).ok
    assert (await probe(lambda n: missing, contains='"ok"')).error == "unexpected_body"


async def test_text_beyond_the_checked_start_does_not_count() -> None:
    late = answer(b"x" * BODY_CHECK_LIMIT + b'"ok"')

    assert (await probe(lambda n: late, contains='"ok"')).error == "unexpected_body"


async def test_the_body_never_reaches_the_result() -> None:
    # SIAK may echo personal data; a result names the kind of failure only.
    echoed = answer(b'{"nik": "7371010101010001", "name": "Siti"}')

    result = await probe(lambda n: echoed, contains='"ok"')

    assert result.error == "unexpected_body"
    assert "7371010101010001" not in repr(result) and "Siti" not in repr(result)


async def test_no_answer_within_the_timeout_is_a_timeout() -> None:
    result = await probe(lambda n: HANG)

    assert (result.ok, result.error) == (False, "timeout")
    assert result.latency_ms is not None


async def test_failures_are_named_by_kind() -> None:
    async with Http1Client(max_idle_per_origin=1) as client:
        prober = HttpProber(client, clock=FakeClock())
        refused = ProbeTarget("73.71", f"http://127.0.0.1:{unused_port()}/health")
        assert (await prober.probe(refused)).error == "connection_refused"

    assert (await probe(lambda n: DROP)).error == "remoteprotocolerror"
    assert (await probe(lambda n: b"garbage\r\n\r\n")).error == "remoteprotocolerror"


async def test_an_untrusted_certificate_is_named_apart_from_a_refusal(tmp_path: Path) -> None:
    certificates = make_local_certificates(tmp_path)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(certificates.cert_file, certificates.key_file)
    async with (
        loopback_siak(lambda n: answer(), tls=server) as siak,
        Http1Client(max_idle_per_origin=1) as client,
    ):
        result = await HttpProber(client, clock=FakeClock()).probe(ProbeTarget("73.71", siak.url()))

    assert (result.ok, result.http_status, result.error) == (False, None, "tls_error")


async def test_a_client_failing_in_a_way_not_foreseen_is_a_failed_probe() -> None:
    # Fail safe: a probe that cannot say "healthy" says "failed"; it must not end the
    # region's probing task and leave its last status (maybe UP) standing.
    class Broken(Http1Client):
        async def get(self, url: str, *, body_limit: int) -> Answer:
            raise RuntimeError("a defect in the client")

    async with Broken(max_idle_per_origin=1) as client:
        prober = HttpProber(client, clock=FakeClock())
        target = ProbeTarget("73.71", "http://127.0.0.1:9/health", timeout_s=0.2)
        result = await prober.probe(target)

    assert (result.ok, result.http_status, result.error) == (False, None, "probe_error")
