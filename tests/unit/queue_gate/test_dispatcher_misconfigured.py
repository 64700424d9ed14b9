"""SIAK saying the gate is misconfigured (a redirect, 401, 403, 404, 405, 409, 410) holds the
region's replay: nothing is parked, nothing overtakes, the pace does not speed up."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta

import pytest

from services.queue_gate.dispatching import MISCONFIGURED_BACKOFF, RegionDispatcher
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.domain.retry_backoff import retry_delay
from services.queue_gate.domain.siak_answer import Misconfigured, Refused, Unavailable
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.handlers.region_gate import GatePolicy
from shared.events import SiakStatus
from tests.unit.queue_gate.fakes import FakeLease, FakePorts, drive, payload_for

MAKASSAR = "73.71"
POLICY = GatePolicy(
    stale_after=timedelta(days=1), degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)
PACING = PacingConfig(
    canary_count=1, initial_rate=2.0, max_rate=8.0, ramp_interval=timedelta(seconds=10)
)
_S = SubmissionState


def dispatcher_for(ports: FakePorts) -> RegionDispatcher:
    deps = ports.dispatch_deps(POLICY, PACING, idle_timeout=timedelta(minutes=5))
    return RegionDispatcher(MAKASSAR, deps, FakeLease(MAKASSAR))


@pytest.mark.parametrize("status", [302, 401, 403, 404, 405, 409, 410])
async def test_a_misconfigured_answer_parks_nothing_and_holds_the_whole_line(
    status: int,
) -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    tickets = [await ports.waiting(MAKASSAR, a) for a in ("ani", "budi", "cici", "ani")]
    ports.siak.script(tickets[0], *[Misconfigured(status)] * 3)

    waits = await drive(ports, dispatcher_for(ports))

    # Only the head probed SIAK while it said so; once fixed, everyone went, in order.
    assert ports.siak.sent == [tickets[0]] * 4 + tickets[1:]
    assert [ports.submissions.stored(t).state for t in tickets] == [_S.DELIVERED] * 4
    assert all(ports.submissions.stored(t).parked_reason is None for t in tickets)
    held = [w for w in waits if w >= MISCONFIGURED_BACKOFF.base / 2]
    assert len(held) == 3  # each misconfigured answer held the replay for a long while
    assert all(w <= MISCONFIGURED_BACKOFF.cap for w in held)


async def test_while_misconfigured_the_head_waits_with_its_reason_and_its_place() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    first, second = await ports.waiting(MAKASSAR, "ani"), await ports.waiting(MAKASSAR, "budi")
    ports.siak.script(first, Misconfigured(401))
    dispatcher = dispatcher_for(ports)
    answered_at = ports.clock()

    await dispatcher.step()
    wait = await dispatcher.step()

    head = ports.submissions.stored(first)
    assert head.state is _S.QUEUED
    assert ports.submissions.last_errors[first] == "siak_misconfigured_http_401"
    assert head.next_attempt_at is not None
    assert head.next_attempt_at - answered_at >= MISCONFIGURED_BACKOFF.base / 2
    assert wait == head.next_attempt_at - ports.clock()
    assert ports.submissions.stored(second).state is _S.DEFERRED  # not sent, not overtaking
    assert ports.siak.sent == [first]


async def test_a_misconfigured_answer_does_not_speed_up_the_ramp() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    tickets = [await ports.waiting(MAKASSAR, f"warga-{n}") for n in range(3)]
    ports.siak.script(tickets[1], Misconfigured(404))
    dispatcher = dispatcher_for(ports)
    await dispatcher.step()  # the canary, delivered: the ramp starts at the initial rate
    assert dispatcher.pacer.rate == PACING.initial_rate
    ports.clock.advance(PACING.ramp_interval)

    await dispatcher.step()

    assert ports.siak.sent == tickets[:2]
    assert dispatcher.pacer.rate <= PACING.initial_rate
    assert dispatcher.pacer.state is GateState.RECOVERING


async def test_a_misconfigured_answer_is_logged_as_an_error_without_personal_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    ports.siak.script(ticket, Misconfigured(403))
    caplog.set_level(logging.INFO)

    await dispatcher_for(ports).step()

    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "403" in record.getMessage() and MAKASSAR in record.getMessage()
    assert ticket in record.getMessage()
    assert payload_for(ticket).decode() not in caplog.text


async def test_the_hold_grows_with_misconfigured_answers_in_a_row_not_with_earlier_outages() -> (
    None
):
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    # SIAK was away a while (the head tried four times), then answered with a login page.
    ports.siak.script(
        ticket, *[Unavailable("http_503")] * 4, Misconfigured(302), Misconfigured(302)
    )

    waits = await drive(ports, dispatcher_for(ports))

    held = [w for w in waits if w >= MISCONFIGURED_BACKOFF.base / 2]
    first_hold = retry_delay(1, policy=MISCONFIGURED_BACKOFF, jitter=lambda: 1.0)
    second_hold = retry_delay(2, policy=MISCONFIGURED_BACKOFF, jitter=lambda: 1.0)
    assert len(held) == 2
    assert held[0] <= first_hold  # a fixed configuration is used as soon as it would be
    assert held[1] <= second_hold
    assert ports.submissions.stored(ticket).state is _S.DELIVERED


async def test_each_misconfigured_answer_flags_the_region_and_a_judged_answer_clears() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    tickets = [await ports.waiting(MAKASSAR, a) for a in ("ani", "budi", "cici")]
    ports.siak.script(tickets[0], *[Misconfigured(401)] * 3)

    await drive(ports, dispatcher_for(ports))

    # Each answer writes the flag (minutes apart: the hold), the deliveries clear it; neither
    # is trusted to last, as an operator or another replica may have written since.
    assert ports.siak.sent == [tickets[0]] * 4 + tickets[1:]
    writes = ports.misconfigurations.writes
    assert writes[:4] == [(MAKASSAR, 401)] * 3 + [(MAKASSAR, None)]
    assert set(writes[4:]) <= {(MAKASSAR, None)}
    assert await ports.misconfigurations.flagged() == {}


async def test_the_flag_follows_the_status_and_outlasts_siak_being_away() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    ports.siak.script(
        ticket, Misconfigured(401), Misconfigured(404), Unavailable("http_503"), Refused("x")
    )
    dispatcher = dispatcher_for(ports)

    flags = [await flag_after_next_answer(ports, dispatcher) for _ in range(4)]

    assert flags == [{MAKASSAR: 401}, {MAKASSAR: 404}, {MAKASSAR: 404}, {}]
    assert ports.misconfigurations.writes == [(MAKASSAR, 401), (MAKASSAR, 404), (MAKASSAR, None)]
    assert ports.submissions.stored(ticket).state is _S.PARKED


async def flag_after_next_answer(ports: FakePorts, dispatcher: RegionDispatcher) -> dict[str, int]:
    """The regions flagged once SIAK has answered the dispatcher once more."""
    sent = len(ports.siak.calls)
    while len(ports.siak.calls) == sent:
        wait = await dispatcher.step()
        assert wait is not None, "the dispatcher settled before SIAK answered"
        ports.clock.advance(wait)
    return await ports.misconfigurations.flagged()


async def test_a_flag_another_replica_left_is_cleared_by_this_ones_first_delivery() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.misconfigurations.flag(MAKASSAR, 403)  # the replica that dispatched it before
    ports.misconfigurations.writes.clear()
    for applicant in ("ani", "budi"):
        await ports.waiting(MAKASSAR, applicant)

    await drive(ports, dispatcher_for(ports))

    assert ports.misconfigurations.writes[0] == (MAKASSAR, None)  # at its first delivery
    assert set(ports.misconfigurations.writes) == {(MAKASSAR, None)}
    assert await ports.misconfigurations.flagged() == {}


async def test_a_flag_is_cleared_once_nothing_is_left_in_the_line() -> None:
    # A line emptied without an answer from SIAK (rows removed by hand): nothing is held.
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.misconfigurations.flag(MAKASSAR, 401)

    assert await dispatcher_for(ports).step() is None

    assert await ports.misconfigurations.flagged() == {}


async def test_a_dispatcher_that_lost_its_lease_mid_send_leaves_the_flag_to_the_new_holder() -> (
    None
):
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    ports.siak.script(ticket, Misconfigured(401))
    dispatcher = dispatcher_for(ports)
    ports.siak.hold_answers()
    step = asyncio.create_task(dispatcher.step())
    await ports.siak.until_sent(1)

    await dispatcher.lease.release()  # another replica holds the region from now on
    ports.siak.release_answers()
    await step

    assert ports.misconfigurations.writes == []


class SlowSiak:
    """A replica's view of SIAK whose one call is answered `answer` once released."""

    def __init__(self, answer: Misconfigured) -> None:
        self.answer = answer
        self.sent = asyncio.Event()
        self.release = asyncio.Event()

    async def submit(self, region_code: str, ticket_id: str, payload: bytes) -> Misconfigured:
        self.sent.set()
        await self.release.wait()
        return self.answer


async def stale_holder_flags_after_new_holder_cleared(ports: FakePorts) -> RegionDispatcher:
    """Replica A sends the head; its lease's session dies unseen (a failover: `is_held` still
    True), B takes the region and delivers the rest of the line, then A's 404 comes and A
    writes its flag. B, the dispatcher still running."""
    deps = ports.dispatch_deps(POLICY, PACING, idle_timeout=timedelta(minutes=5))
    siak_a = SlowSiak(Misconfigured(404))
    a = RegionDispatcher(MAKASSAR, dataclasses.replace(deps, siak=siak_a), FakeLease(MAKASSAR))
    a_step = asyncio.create_task(a.step())
    await asyncio.wait_for(siak_a.sent.wait(), 5)
    b = RegionDispatcher(MAKASSAR, deps, FakeLease(MAKASSAR))
    await drive(ports, b)
    assert await ports.misconfigurations.flagged() == {}
    siak_a.release.set()
    await a_step
    await a.lease.release()  # A sees its connection closed only now
    assert await ports.misconfigurations.flagged() == {MAKASSAR: 404}
    return b


async def test_a_stale_holders_late_flag_is_cleared_by_the_new_holders_next_delivery() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    for applicant in ("ani", "budi"):
        await ports.waiting(MAKASSAR, applicant)
    b = await stale_holder_flags_after_new_holder_cleared(ports)
    # Traffic keeps the line from emptying: B's next delivery must put the flag right.
    for applicant in ("cici", "dedi", "eko"):
        await ports.waiting(MAKASSAR, applicant)
    sent = len(ports.siak.sent)

    while len(ports.siak.sent) == sent:
        wait = await b.step()
        assert wait is not None, "B settled before sending"
        ports.clock.advance(wait)

    assert await ports.submissions.backlog(MAKASSAR) > 0
    assert await ports.misconfigurations.flagged() == {}


async def test_a_stale_holders_late_flag_is_cleared_when_the_new_holder_finds_the_line_empty() -> (
    None
):
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    for applicant in ("ani", "budi"):
        await ports.waiting(MAKASSAR, applicant)
    b = await stale_holder_flags_after_new_holder_cleared(ports)
    assert await ports.submissions.backlog(MAKASSAR) == 0  # B delivered A's head too

    assert await b.step() is None  # a wake-up, or the end of B's idle time

    assert await ports.misconfigurations.flagged() == {}


async def test_a_flag_cleared_by_someone_else_is_raised_again_at_the_next_such_answer() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    ports.siak.script(ticket, *[Misconfigured(404)] * 2)
    dispatcher = dispatcher_for(ports)
    assert await flag_after_next_answer(ports, dispatcher) == {MAKASSAR: 404}
    # An operator's DELETE (or a sweep's, had the line looked empty) while the replay is held.
    await ports.misconfigurations.clear(MAKASSAR)

    assert await flag_after_next_answer(ports, dispatcher) == {MAKASSAR: 404}
    assert ports.submissions.stored(ticket).state is _S.QUEUED  # still held
