"""Bad input to either service, over HTTP on fakes: a 422 naming the field, never a 500, and
never the rejected personal data echoed back."""

from __future__ import annotations

import contextlib
import itertools
import json
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.unit.queue_gate.fake_gate import ADMIN_TOKEN, API_KEY, running_gate
from tests.unit.siak_monitor.fakes import FakeClock, ready_app
from tests.unit.siak_monitor.fakes import settings as monitor_settings

FUZZ = settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
NIK = "7371011203150002"
SUBMISSION: dict[str, Any] = {
    "region_code": "73.71",
    "service_type": "akta_kelahiran",
    "applicant": {"nik": NIK, "name": "Andi Tenri Ajeng"},
    "details": {"child_name": "Bayi"},
}
MONITOR_TOKEN = "unit-monitor-admin-token"


class Client:
    """A synchronous caller of an app running on an event loop of its own, so hypothesis
    drives many requests through one app."""

    def __init__(self, portal: BlockingPortal, http: httpx.AsyncClient) -> None:
        self._portal = portal
        self._http = http

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            return await self._http.request(method, url, **options)

        return self._portal.call(call)


@pytest.fixture(scope="module")
def gate() -> Iterator[Client]:
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(running_gate()) as running,
    ):
        yield Client(portal, running.http)


@pytest.fixture(scope="module")
def monitor() -> Iterator[Client]:
    config = monitor_settings(watch="73.71,73.06,91.71", admin_token=MONITOR_TOKEN)
    app = ready_app(config, FakeClock(datetime.now(UTC)))

    @contextlib.asynccontextmanager
    async def serving() -> Any:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as http:
            yield http

    with start_blocking_portal() as portal, portal.wrap_async_context_manager(serving()) as http:
        yield Client(portal, http)


KEYS = (f"fuzz-{n}" for n in itertools.count())


def as_json(document: Any) -> bytes:
    # Escaped, so lone surrogates travel as another client's JSON would carry them.
    return json.dumps(document, ensure_ascii=True).encode()


def submit(gate: Client, body: Any, *, key: str | bytes | None = None) -> httpx.Response:
    return gate.request(
        "POST",
        "/v1/submissions",
        content=as_json(body),
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Idempotency-Key": key if key is not None else next(KEYS),
            "Content-Type": "application/json",
        },
    )


def refused_fields(response: httpx.Response) -> list[list[Any]]:
    """The fields a 422 names; fails on any other answer but the ones expected."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["fields"], response.text
    assert all(field["msg"] for field in error["fields"]), response.text
    return [field["loc"] for field in error["fields"]]


def assert_refused_naming(
    response: httpx.Response, *where: str | int, saying: str | None = None
) -> None:
    """Refused naming the field at `where` (`saying` so, when given), or the body itself when
    it is not JSON a parser reads (lone surrogates): never another field, never a 5xx."""
    refused_fields(response)
    for field in response.json()["error"]["fields"]:
        if field["loc"] == ["body"]:
            assert field["type"] == "json_invalid", field
            continue
        assert field["loc"] == list(where), f"{field['loc']} named, not {list(where)}"
        assert saying is None or field["msg"] == saying, field


def with_applicant(**changes: Any) -> dict[str, Any]:
    return {**SUBMISSION, "applicant": {**SUBMISSION["applicant"], **changes}}


def digits(alphabet: str) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=16, max_size=16)


ASCII_DIGITS = "0123456789"
FULL_WIDTH_DIGITS = "".join(chr(0xFF10 + n) for n in range(10))
ARABIC_INDIC_DIGITS = "".join(chr(0x0660 + n) for n in range(10))
PERSIAN_DIGITS = "".join(chr(0x06F0 + n) for n in range(10))
not_sixteen_ascii_digits = st.one_of(
    digits(FULL_WIDTH_DIGITS),
    digits(ARABIC_INDIC_DIGITS),
    digits(PERSIAN_DIGITS),
    st.text(
        st.characters(categories=["Nd"], exclude_characters=ASCII_DIGITS), min_size=16, max_size=16
    ),
    st.text(ASCII_DIGITS, max_size=40).filter(lambda text: len(text) != 16),
    st.builds(
        lambda position, char: NIK[:position] + char + NIK[position + 1 :],
        st.integers(0, 15),
        st.characters(exclude_characters=ASCII_DIGITS),
    ),
    st.builds(lambda text: NIK + text, st.text(min_size=1)),
    st.text().filter(lambda text: not (len(text) == 16 and text.isascii() and text.isdigit())),
)


@FUZZ
@given(nik=not_sixteen_ascii_digits)
@example(nik="\ud800" * 16)
@example(nik=NIK[:15] + "\x00")
@example(nik="\x00" * 16)
@example(nik=NIK + "\n")
def test_a_nik_of_anything_but_sixteen_ascii_digits_is_refused_naming_it(
    gate: Client, nik: str
) -> None:
    response = submit(gate, with_applicant(nik=nik))

    assert_refused_naming(
        response, "body", "applicant", "nik", saying="NIK must be exactly 16 digits 0-9"
    )
    if len(nik) >= 8:
        assert json.dumps(nik)[1:-1] not in response.text


@FUZZ
@given(number=not_sixteen_ascii_digits)
@example(number="\ud800")
def test_a_kk_number_of_anything_but_sixteen_ascii_digits_is_refused_naming_it(
    gate: Client, number: str
) -> None:
    response = submit(gate, with_applicant(kk_number=number))

    assert_refused_naming(
        response, "body", "applicant", "kk_number", saying="No. KK must be exactly 16 digits 0-9"
    )


@FUZZ
@given(nik=digits(ASCII_DIGITS))
@example(nik="7371014002150002")  # a woman's day 00
@example(nik="7371017202150002")  # 32 February
@example(nik="7371011203150000")  # serial 0000
@example(nik="0071011203150002")  # no province 00
def test_sixteen_digits_are_accepted_or_refused_as_a_nik(gate: Client, nik: str) -> None:
    """The province, birth date and serial rules: 202, or 422 naming the NIK."""
    response = submit(gate, with_applicant(nik=nik))

    if response.status_code != 202:
        assert_refused_naming(response, "body", "applicant", "nik")


@FUZZ
@given(
    code=st.one_of(
        st.text(max_size=8),
        st.from_regex(r"\A[0-9]{2}\.[0-9]{2}\Z"),
        st.text(alphabet=ARABIC_INDIC_DIGITS + FULL_WIDTH_DIGITS + ".", min_size=5, max_size=5),
        st.sampled_from(["73.71\n", " 73.71", "73.71\x00", "73,71", "7371"]),
    )
    | st.integers()
    | st.none()
)
def test_a_region_code_outside_the_registry_is_refused_naming_it(gate: Client, code: Any) -> None:
    response = submit(gate, {**SUBMISSION, "region_code": code})

    if response.status_code != 202:
        assert_refused_naming(response, "body", "region_code")


@FUZZ
@given(
    field=st.sampled_from(
        [("applicant", "name"), ("contact", "phone"), ("contact", "email"), ("service_type",)]
    ),
    value=st.text(max_size=300) | st.integers() | st.none() | st.booleans(),
)
@example(field=("applicant", "name"), value="\x00")
@example(field=("applicant", "name"), value="\u2028")
@example(
    field=("contact", "phone"),
    value="081234567890".translate(str.maketrans(ASCII_DIGITS, FULL_WIDTH_DIGITS)),
)
def test_any_other_field_is_accepted_or_refused_naming_it(
    gate: Client, field: tuple[str, ...], value: Any
) -> None:
    body = json.loads(json.dumps(SUBMISSION))
    if field[0] == "contact":
        body["contact"] = {}
    target = body
    for part in field[:-1]:
        target = target[part]
    target[field[-1]] = value

    response = submit(gate, body)

    if response.status_code != 202:
        assert_refused_naming(response, "body", *field)


@FUZZ
@given(key=st.binary(max_size=300).filter(lambda raw: b"\r" not in raw and b"\n" not in raw))
@example(key=b"")
@example(key=b"a" * 256)
@example(key="é".encode())
@example(key=b"key\x00")
def test_an_idempotency_key_of_other_than_visible_ascii_is_refused_naming_it(
    gate: Client, key: bytes
) -> None:
    response = submit(gate, with_applicant(name=f"Key {key.hex()[:40]}"), key=key)

    if response.status_code != 202:
        assert_refused_naming(response, "header", "Idempotency-Key")
    visible = 1 <= len(key) <= 255 and all(0x21 <= byte <= 0x7E for byte in key)
    assert (response.status_code == 202) == visible, response.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=10,
)


@FUZZ
@given(
    body=json_values
    | st.fixed_dictionaries({}, optional={name: json_values for name in SUBMISSION})
)
def test_any_json_body_is_refused_naming_a_field_of_it(gate: Client, body: Any) -> None:
    for loc in refused_fields(submit(gate, body)):
        assert loc[0] == "body"


@FUZZ
@given(region=st.text(max_size=20))
@example(region="73.7" + ARABIC_INDIC_DIGITS[1])
def test_a_region_filter_of_parked_submissions_is_a_region_code(gate: Client, region: str) -> None:
    response = gate.request(
        "GET",
        "/v1/admin/parked",
        params={"region": region},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )

    if response.status_code != 200:
        assert_refused_naming(response, "query", "region")


@FUZZ
@given(
    change=st.fixed_dictionaries(
        {"reason": json_values | st.just("drill")},
        optional={
            "override": json_values | st.sampled_from(["auto", "force_open", "force_closed"]),
            "intake_mode": json_values | st.sampled_from(["defer", "reject"]),
            "replay_paused": json_values,
            "max_rate": json_values | st.floats(),
        },
    )
)
def test_an_operators_change_is_applied_or_refused_naming_the_field(
    gate: Client, change: dict[str, Any]
) -> None:
    response = gate.request(
        "PATCH",
        "/v1/admin/regions/73.09",
        content=as_json(change),
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )

    if response.status_code != 200:
        for loc in refused_fields(response):
            assert loc[:1] == ["body"] and (len(loc) == 1 or loc[1] in change), loc


zones = st.sampled_from(
    [None, UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=23, minutes=59))]
)
moments = st.datetimes(timezones=zones) | st.text(max_size=30) | st.integers()


def maintenance(**changes: Any) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=1)
    return {
        "regions": ["73.71"],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "reason": "upgrade",
        "message": {"id": "Pemeliharaan", "en": "Maintenance"},
        **changes,
    }


def as_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@FUZZ
@given(
    starts_at=moments,
    ends_at=moments,
    recurrence=st.sampled_from([None, "weekly"]),
    regions=st.sampled_from(["*", ["73.71"], ["73.71", "91.71"]])
    | st.lists(st.text(max_size=6), max_size=3)
    | json_values,
)
@example(
    starts_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    ends_at=datetime(1, 1, 2, tzinfo=timezone(timedelta(hours=14))),
    recurrence=None,
    regions=["73.71"],
)
@example(
    starts_at=datetime(9999, 12, 31, 22),
    ends_at=datetime(9999, 12, 31, 23),
    recurrence="weekly",
    regions="*",
)
def test_a_maintenance_window_is_scheduled_or_refused_naming_the_field(
    monitor: Client, starts_at: Any, ends_at: Any, recurrence: str | None, regions: Any
) -> None:
    body = maintenance(
        starts_at=as_value(starts_at),
        ends_at=as_value(ends_at),
        recurrence=recurrence,
        regions=regions,
    )

    response = monitor.request(
        "POST",
        "/v1/maintenance",
        content=as_json(body),
        headers={"Authorization": f"Bearer {MONITOR_TOKEN}", "Content-Type": "application/json"},
    )

    if response.status_code != 201:
        assert response.status_code == 422, response.text
        for problem in response.json()["detail"]:
            assert problem["loc"][:1] == ["body"] and problem["loc"][1] in body, problem
            assert problem["msg"], problem


NOT_FOUND = ("unknown region code", "Not Found")


@FUZZ
@given(code=st.text(min_size=1, max_size=300).filter(lambda code: code not in (".", "..")))
@example(code="<script>alert(1)</script>")
@example(code="73.71\x00")
def test_an_unknown_region_in_a_path_is_not_found_without_echoing_it(
    gate: Client, code: str
) -> None:
    path = urllib.parse.quote(code, safe="")
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    answers = [
        gate.request("GET", f"/v1/regions/{path}"),
        gate.request("PATCH", f"/v1/admin/regions/{path}", json={"reason": "x"}, headers=admin),
    ]

    for answer in answers:
        if answer.status_code == 200:
            continue
        assert answer.status_code in (404, 422), answer.text
        if answer.status_code == 404:
            # The same words whatever the code ("Not Found" when a `/` in it leaves no route).
            assert answer.json()["error"]["message"] in NOT_FOUND, answer.text
