"""The health checks' HTTP/1.1 client: answers of every shape, bounded reads, kept connections."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from deploy.local.certificates import LocalCertificates, make_local_certificates
from services.siak_monitor.adapters.http1 import (
    MAX_HEAD_BYTES,
    ConnectError,
    Http1Client,
    HttpError,
    ProtocolError,
    ReadError,
    TlsError,
)
from tests.support.polling import eventually
from tests.unit.siak_monitor.loopback_siak import (
    CLOSE,
    DROP,
    HANG,
    answer,
    loopback_siak,
    sockets_connected_to,
    unused_port,
)

LIMIT = 64 * 1024


def client() -> Http1Client:
    return Http1Client(max_idle_per_origin=4)


async def test_sends_a_plain_get_with_the_host_and_path() -> None:
    async with loopback_siak(lambda n: answer()) as siak, client() as http:
        got = await http.get(siak.url("/regions/73.71/health?deep=1"), body_limit=LIMIT)

    assert (got.status, got.body) == (200, b'{"state": "UP"}')
    request_line, *headers = siak.requests[0].decode().split("\r\n")
    assert request_line == "GET /regions/73.71/health?deep=1 HTTP/1.1"
    assert f"Host: 127.0.0.1:{siak.port}" in headers


async def test_keeps_the_connection_for_the_next_get() -> None:
    async with loopback_siak(lambda n: answer()) as siak, client() as http:
        for _ in range(5):
            assert (await http.get(siak.url(), body_limit=LIMIT)).status == 200

    assert (siak.connections, http.connections_opened, len(siak.requests)) == (1, 1, 5)


async def test_reads_a_chunked_answer_and_keeps_the_connection() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5;ext=1\r\n{"sta\r\nA\r\nte": "UP"}\r\n0\r\nX-Trailer: yes\r\n\r\n'
    )
    async with loopback_siak(lambda n: chunked) as siak, client() as http:
        first = await http.get(siak.url(), body_limit=LIMIT)
        second = await http.get(siak.url(), body_limit=LIMIT)

    assert first.body == second.body == b'{"state": "UP"}'
    assert siak.connections == 1


@pytest.mark.parametrize(
    "reply",
    [
        answer(b"{}", "200 OK", "Connection: close"),
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    ],
    ids=["connection-close", "http-1.0"],
)
async def test_does_not_reuse_a_connection_the_server_will_close(reply: bytes) -> None:
    async with loopback_siak(lambda n: reply) as siak, client() as http:
        await http.get(siak.url(), body_limit=LIMIT)
        await http.get(siak.url(), body_limit=LIMIT)

    assert siak.connections == 2


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'F\r\n{"state": "UP"}\r\n0\r\n\r\n',
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'F\r\n{"state": "UP"}\r\n0\r\n\r\n',
    ],
    ids=["length-and-chunks", "http-1.0-chunks"],
)
async def test_an_answer_framed_two_ways_is_read_by_its_chunks_and_its_connection_closed(
    reply: bytes,
) -> None:
    # RFC 9112 6.1, 6.3: Transfer-Encoding overrides Content-Length, and an answer carrying
    # both (or chunks in HTTP/1.0) may be smuggling a second one: the connection is not reused.
    async with loopback_siak(lambda n: reply) as siak, client() as http:
        first = await http.get(siak.url(), body_limit=LIMIT)
        second = await http.get(siak.url(), body_limit=LIMIT)

    assert first.body == second.body == b'{"state": "UP"}'
    assert siak.connections == 2


async def test_an_answer_whose_last_coding_is_not_chunked_ends_with_the_connection() -> None:
    # RFC 9112 6.3: its length is then the connection's, whatever Content-Length says.
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nall of it"
    async with loopback_siak(lambda n: reply + CLOSE) as siak, client() as http:
        got = await http.get(siak.url(), body_limit=LIMIT)

    assert got.body == b"all of it"


async def test_keeps_an_http_1_0_connection_when_asked_to() -> None:
    reply = b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n{}"
    async with loopback_siak(lambda n: reply) as siak, client() as http:
        await http.get(siak.url(), body_limit=LIMIT)
        await http.get(siak.url(), body_limit=LIMIT)

    assert siak.connections == 1


async def test_an_answer_without_a_length_ends_with_the_connection() -> None:
    reply = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"
    async with loopback_siak(lambda n: reply) as siak, client() as http:
        got = await http.get(siak.url(), body_limit=LIMIT)
        await http.get(siak.url(), body_limit=LIMIT)

    assert got.body == b"all of it"
    assert siak.connections == 2


async def test_asks_again_on_a_new_connection_when_a_kept_one_was_dropped() -> None:
    # The race of every keep-alive client: the server drops an idle connection just as the
    # next request goes out on it.
    async with loopback_siak(lambda n: DROP if n == 1 else answer()) as siak, client() as http:
        await http.get(siak.url(), body_limit=LIMIT)
        again = await http.get(siak.url(), body_limit=LIMIT)

    assert again.status == 200
    assert (siak.connections, len(siak.requests)) == (2, 3)


async def test_a_new_connection_closed_without_an_answer_is_a_protocol_failure() -> None:
    async with loopback_siak(lambda n: DROP) as siak, client() as http:
        with pytest.raises(ProtocolError) as failure:
            await http.get(siak.url(), body_limit=LIMIT)

    assert failure.value.kind == "remoteprotocolerror"
    assert siak.connections == 1


async def test_skips_an_interim_answer() -> None:
    reply = b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b"ok")
    async with loopback_siak(lambda n: reply) as siak, client() as http:
        got = await http.get(siak.url(), body_limit=LIMIT)

    assert (got.status, got.body) == (200, b"ok")


async def test_an_answer_without_a_body_keeps_the_connection() -> None:
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    async with loopback_siak(lambda n: no_content) as siak, client() as http:
        assert (await http.get(siak.url(), body_limit=LIMIT)).status == 204
        assert (await http.get(siak.url(), body_limit=LIMIT)).status == 204

    assert siak.connections == 1


@pytest.mark.parametrize(
    "garbage",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 2OO OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + CLOSE,
        b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1_0\r\n\r\n0123456789",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: "
        + b"a" * (20 * 1024)
        + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"0" * (20 * 1024) + b"\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n",
    ],
    ids=[
        "not-http",
        "http-2",
        "bad-status",
        "bad-header",
        "negative-length",
        "two-lengths",
        "bad-chunk-size",
        "chunk-without-crlf",
        "head-too-long",
        "head-cut-short",
        "length-past-int-digits",
        "length-with-underscore",
        "trailer-too-long",
        "chunk-size-line-too-long",
        "chunk-size-with-0x",
    ],
)
async def test_garbage_is_a_protocol_failure_and_the_connection_is_dropped(
    garbage: bytes,
) -> None:
    script = [garbage, answer()]
    async with loopback_siak(lambda n: script[min(n, 1)]) as siak, client() as http:
        with pytest.raises(ProtocolError):
            await http.get(siak.url(), body_limit=LIMIT)
        assert (await http.get(siak.url(), body_limit=LIMIT)).status == 200

    assert siak.connections == 2


STRAY = answer(b'{"state": "DOWN"}', "503 Service Unavailable")
"""An answer nobody asked for: read as the next GET's, it would tell of a SIAK that is down."""


@pytest.mark.parametrize(
    "reply",
    [answer() + STRAY, b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n" + b'{"state": "UP"}!!'],
    ids=["a-second-answer", "a-body-longer-than-its-length"],
)
async def test_bytes_sent_after_a_complete_answer_are_never_read_as_the_next_one(
    reply: bytes,
) -> None:
    async with loopback_siak(lambda n: reply if n == 0 else answer()) as siak, client() as http:
        first = await http.get(siak.url(), body_limit=LIMIT)
        second = await http.get(siak.url(), body_limit=LIMIT)

    assert first.body == second.body == b'{"state": "UP"}'
    assert (second.status, siak.connections) == (200, 2)


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
async def test_a_kept_connection_the_server_sent_bytes_on_while_idle_is_not_reused(
    tls: bool, certificates: LocalCertificates
) -> None:
    async with (
        loopback_siak(lambda n: answer(), tls=serving(certificates) if tls else None) as siak,
        trusting(certificates) as http,
    ):
        await http.get(siak.url(), body_limit=LIMIT)
        await siak.send_unasked(STRAY)
        again = await http.get(siak.url(), body_limit=LIMIT)

    assert (again.status, again.body) == (200, b'{"state": "UP"}')
    assert (http.connections_opened, siak.connections) == (2, 2)


async def test_an_answer_cut_short_mid_body_is_a_read_failure() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b" + CLOSE
    async with loopback_siak(lambda n: reply) as siak, client() as http:
        with pytest.raises(ReadError) as failure:
            await http.get(siak.url(), body_limit=LIMIT)

    assert failure.value.kind == "readerror"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_reads_no_more_of_a_huge_answer_than_the_limit(chunked: bool) -> None:
    body = b"x" * (20 * 2**20)
    huge = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body
        if chunked
        else answer(body)
    )
    async with loopback_siak(lambda n: huge) as siak, client() as http:
        got = await http.get(siak.url(), body_limit=LIMIT)
        await eventually(lambda: _true(siak.closed_by_client), what="the server sees the close")

    assert got.body == body[:LIMIT]
    assert siak.sent < len(huge)


async def test_a_connection_that_cannot_be_made_is_refused() -> None:
    async with client() as http:
        with pytest.raises(ConnectError) as failure:
            await http.get(f"http://127.0.0.1:{unused_port()}/health", body_limit=LIMIT)

    assert failure.value.kind == "connection_refused"


async def test_a_request_given_up_on_closes_its_connection() -> None:
    async with loopback_siak(lambda n: HANG if n == 0 else answer()) as siak, client() as http:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await http.get(siak.url(), body_limit=LIMIT)
        assert (await http.get(siak.url(), body_limit=LIMIT)).status == 200

    assert siak.connections == 2


async def test_closing_the_client_closes_its_idle_connections() -> None:
    async with loopback_siak(lambda n: answer()) as siak:
        async with client() as http:
            await http.get(siak.url(), body_limit=LIMIT)
        await eventually(lambda: _true(siak.closed_by_client), what="the server sees the close")

    assert siak.closed_by_client == 1


async def test_keeps_no_more_idle_connections_than_allowed() -> None:
    two = Http1Client(max_idle_per_origin=2)
    async with loopback_siak(lambda n: answer()) as siak, two as http:
        await asyncio.gather(*(http.get(siak.url(), body_limit=LIMIT) for _ in range(5)))
        await eventually(lambda: _true(siak.closed_by_client >= 3), what="3 closed")
        await asyncio.gather(*(http.get(siak.url(), body_limit=LIMIT) for _ in range(2)))

    assert siak.connections == 5


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> LocalCertificates:
    """A CA of their own and a certificate for localhost and 127.0.0.1."""
    return make_local_certificates(tmp_path_factory.mktemp("tls"))


def serving(certificates: LocalCertificates) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)
    return context


def trusting(certificates: LocalCertificates) -> Http1Client:
    tls = ssl.create_default_context(cafile=str(certificates.ca_file))
    return Http1Client(max_idle_per_origin=4, tls=tls)


async def test_gets_over_tls_and_keeps_the_connection(certificates: LocalCertificates) -> None:
    async with (
        loopback_siak(lambda n: answer(), tls=serving(certificates)) as siak,
        trusting(certificates) as http,
    ):
        first = await http.get(siak.url(), body_limit=LIMIT)
        second = await http.get(siak.url(), body_limit=LIMIT)
        kept = sockets_connected_to(siak.port)

    assert siak.url().startswith("https://")
    assert kept == 1
    assert first.body == second.body == b'{"state": "UP"}'
    assert (http.connections_opened, siak.connections, len(siak.requests)) == (1, 1, 2)


async def test_a_certificate_from_an_unknown_ca_is_a_tls_failure(
    certificates: LocalCertificates,
) -> None:
    # The client trusts the system's CAs only (what the monitor does), not the test's own CA.
    async with (
        loopback_siak(lambda n: answer(), tls=serving(certificates)) as siak,
        client() as http,
    ):
        with pytest.raises(HttpError) as failure:
            await http.get(siak.url(), body_limit=LIMIT)
        await eventually(
            lambda: _true(sockets_connected_to(siak.port) == 0), what="the socket closed"
        )

    assert failure.value.kind == "tls_error"
    assert (http.connections_opened, siak.requests) == (0, [])


@pytest.mark.parametrize(
    ("certified_host", "fails"), [("localhost", False), ("siak.invalid", True)]
)
async def test_a_certificate_for_another_host_is_a_tls_failure(
    certified_host: str, fails: bool, tmp_path: Path
) -> None:
    # The leaf certifies `certified_host` and 127.0.0.1, and is asked for as localhost: only
    # the host name differs between the two cases.
    certificates = make_local_certificates(tmp_path, host=certified_host)
    async with (
        loopback_siak(lambda n: answer(), tls=serving(certificates)) as siak,
        trusting(certificates) as http,
    ):
        url = f"https://localhost:{siak.port}/health"
        if fails:
            with pytest.raises(HttpError) as failure:
                await http.get(url, body_limit=LIMIT)
            assert failure.value.kind == "tls_error"
        else:
            assert (await http.get(url, body_limit=LIMIT)).status == 200

    assert len(siak.requests) == (0 if fails else 1)


async def test_a_tls_handshake_that_never_ends_is_the_callers_timeout(
    certificates: LocalCertificates,
) -> None:
    # A plain TCP server that takes the connection and never answers the TLS hello.
    async with loopback_siak(lambda n: HANG) as silent, trusting(certificates) as http:
        url = f"https://127.0.0.1:{silent.port}/health"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await http.get(url, body_limit=LIMIT)
        await eventually(lambda: _true(silent.closed_by_client), what="the server sees the close")
        await eventually(
            lambda: _true(sockets_connected_to(silent.port) == 0), what="the socket closed"
        )

    assert (silent.connections, silent.requests, http.connections_opened) == (1, [], 0)


def test_only_http_urls_are_asked_for() -> None:
    with pytest.raises(ValueError, match="not an http"):
        asyncio.run(client().get("ftp://siak.invalid/health", body_limit=LIMIT))


async def _true(value: object) -> bool:
    return bool(value)


def test_every_failure_has_a_kind() -> None:
    failures = (ConnectError, TlsError, ProtocolError, ReadError)
    kinds = {kind.kind for kind in failures}
    assert kinds == {"connection_refused", "tls_error", "remoteprotocolerror", "readerror"}
    assert all(issubclass(kind, HttpError) for kind in failures)
