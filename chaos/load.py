"""The load client: citizens' portals submitting steadily, retrying as a portal would."""

from __future__ import annotations

import asyncio
import contextlib
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from chaos.records import Submitted

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
RETRIED = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Answers a portal retries with the same key; any other answer is final."""
MAX_APPLICANTS = 9000
"""NIK serials are four digits: beyond this a run would repeat an applicant."""


def require_loopback(url: str) -> str:
    """The suite injects faults: it may only ever talk to a stack on this machine."""
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"the chaos suite talks to loopback addresses only, not {host!r}")
    return url


@dataclass(frozen=True)
class Applicant:
    label: str
    nik: str
    name: str

    @classmethod
    def number(cls, i: int) -> Applicant:
        """A valid, distinct NIK (Makassar, born in the 1990s) and a name found by one word."""
        if not 0 <= i < MAX_APPLICANTS:
            raise ValueError(f"applicant number {i} out of range")
        day = 1 + i % 28 + (40 if i % 2 else 0)  # women add 40 to the day
        nik = f"7371{1 + i % 9:02d}{day:02d}{1 + i % 12:02d}9{i % 10}{1 + i:04d}"
        letters = ""
        n = i
        while True:
            n, digit = divmod(n, 26)
            letters += string.ascii_lowercase[digit]
            if n == 0:
                break
        return cls(label=f"a{i}", nik=nik, name=f"Rina Chaosuji{letters}")


@dataclass
class LoadPlan:
    regions: Sequence[str]
    rate_per_region: float = 2.0
    """Submissions per second and region, each region's one after another."""
    max_per_region: int = 200
    retry_for_s: float = 60.0
    """How long one submission is retried before the portal gives up on it."""
    request_timeout_s: float = 5.0


@dataclass
class _Attempts:
    key: str
    region: str
    applicant: Applicant
    tickets: list[str] = field(default_factory=list)
    answers: list[int | None] = field(default_factory=list)
    order: int | None = None


class LoadClient:
    """Submits to several regions at once until stopped; every answer is kept."""

    def __init__(
        self,
        gate_url: str,
        api_key: str,
        plan: LoadPlan,
        *,
        run: str,
        first_applicant: int,
    ) -> None:
        self.gate_url = require_loopback(gate_url)
        self.api_key = api_key
        self.plan = plan
        self.run = run
        self._next_applicant = first_applicant
        self._attempts: list[_Attempts] = []
        self._acknowledged: dict[str, int] = {}

    @property
    def applicants_used(self) -> int:
        return self._next_applicant

    async def submit_until(self, stop: asyncio.Event) -> None:
        timeout = httpx.Timeout(self.plan.request_timeout_s)
        async with httpx.AsyncClient(timeout=timeout) as http:
            await asyncio.gather(*(self._region(http, r, stop) for r in self.plan.regions))

    def log(self) -> list[Submitted]:
        return [
            Submitted(
                key=a.key,
                region=a.region,
                applicant=a.applicant.label,
                tickets=tuple(dict.fromkeys(a.tickets)),
                order=a.order,
                answers=tuple(a.answers),
            )
            for a in self._attempts
        ]

    def secrets(self) -> dict[str, str]:
        """Every NIK and name sent, each mapped to its client key."""
        found: dict[str, str] = {}
        for a in self._attempts:
            found[a.applicant.nik] = a.key
            found[a.applicant.name] = a.key
        return found

    async def _region(self, http: httpx.AsyncClient, region: str, stop: asyncio.Event) -> None:
        period = 1 / self.plan.rate_per_region
        for n in range(self.plan.max_per_region):
            if stop.is_set():
                return
            started = time.monotonic()
            attempts = _Attempts(f"{self.run}-{region}-{n}", region, self._new_applicant())
            self._attempts.append(attempts)
            await self._submit(http, attempts)
            if attempts.tickets:
                attempts.order = self._acknowledged.get(region, 0)
                self._acknowledged[region] = attempts.order + 1
            # Paced, but never faster because an answer was slow.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, period - (time.monotonic() - started)))

    def _new_applicant(self) -> Applicant:
        applicant = Applicant.number(self._next_applicant)
        self._next_applicant += 1
        return applicant

    async def _submit(self, http: httpx.AsyncClient, attempts: _Attempts) -> None:
        """One submission, retried with the same key until answered for good or given up."""
        body: dict[str, object] = {
            "region_code": attempts.region,
            "service_type": "ktp_el_recording",
            "applicant": {"nik": attempts.applicant.nik, "name": attempts.applicant.name},
            "details": {"kecamatan": "Chaos"},
        }
        headers = {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": attempts.key}
        give_up_at = time.monotonic() + self.plan.retry_for_s
        backoff = 0.2
        while True:
            status = await _post(http, f"{self.gate_url}/v1/submissions", body, headers)
            attempts.answers.append(status[0])
            if status[0] == 202 and status[1]:
                attempts.tickets.append(status[1])
                return
            if status[0] is not None and status[0] not in RETRIED:
                return
            if time.monotonic() + backoff > give_up_at:
                return
            await asyncio.sleep(backoff)  # a portal's back-off, not synchronisation
            backoff = min(2.0, backoff * 2)


async def _post(
    http: httpx.AsyncClient, url: str, body: dict[str, object], headers: dict[str, str]
) -> tuple[int | None, str | None]:
    try:
        response = await http.post(url, json=body, headers=headers)
    except httpx.HTTPError:
        return None, None
    ticket: str | None = None
    if response.status_code == 202:
        try:
            ticket = str(response.json()["ticket_id"])
        except (ValueError, KeyError, TypeError):
            ticket = None
    return response.status_code, ticket
