"""A region's dispatcher: in acceptance order, only through an open gate, gently after an outage."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest

from services.queue_gate.dispatching import RegionDispatcher
from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.domain.siak_answer import Refused, Unavailable, answer_for
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.handlers.region_gate import GatePolicy
from shared.events import SiakStatus
from tests.unit.queue_gate.fakes import (
    FakeLease,
    FakePorts,
    assert_stops_when_cancelled_as_woken,
    drive,
    payload_for,
)

MAKASSAR, MAROS = "73.71", "73.09"
STALE_AFTER = timedelta(minutes=10)
POLICY = GatePolicy(
    stale_after=STALE_AFTER, degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)
PACING = PacingConfig(
    canary_count=1, initial_rate=2.0, max_rate=8.0, ramp_interval=timedelta(seconds=10)
)
_S = SubmissionState


def dispatcher_for(ports: FakePorts, lease: FakeLease | None = None) -> RegionDispatcher:
    deps = ports.dispatch_deps(POLICY, PACING, idle_timeout=timedelta(minutes=5))
    return RegionDispatcher(MAKASSAR, deps, lease or FakeLease(MAKASSAR))


def pauses(waits: list[timedelta]) -> list[float]:
    return [wait.total_seconds() for wait in waits if wait > timedelta(0)]


async def test_nothing_is_sent_while_the_region_is_down_and_queued_ones_wait_as_deferred() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.DOWN)
    ticket = await ports.waiting(MAKASSAR, "ani", _S.QUEUED)

    assert await dispatcher_for(ports).step() is None
    assert ports.siak.calls == []
    assert ports.submissions.stored(ticket).state is _S.DEFERRED


async def test_an_up_status_gone_stale_sends_nothing() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.waiting(MAKASSAR, "ani")
    ports.clock.advance(STALE_AFTER + timedelta(seconds=1))

    assert await drive(ports, dispatcher_for(ports)) == []
    assert ports.siak.calls == []


async def test_replays_deferred_submissions_in_acceptance_order() -> None:
    ports = FakePorts()
    tickets = [await ports.waiting(MAKASSAR, applicant) for applicant in ("ani", "budi", "cici")]
    await ports.waiting(MAROS, "dedi")
    await ports.region_is(MAKASSAR, SiakStatus.UP)

    await drive(ports, dispatcher_for(ports))

    assert ports.siak.sent == tickets
    assert [call.payload for call in ports.siak.calls] == [payload_for(t) for t in tickets]
    assert {ports.submissions.stored(t).state for t in tickets} == {_S.DELIVERED}


async def test_the_canary_is_answered_before_the_next_submission_goes() -> None:
    ports = FakePorts()
    first, second = await ports.waiting(MAKASSAR, "ani"), await ports.waiting(MAKASSAR, "budi")
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    lease = FakeLease(MAKASSAR)
    dispatcher = dispatcher_for(ports, lease)
    ports.siak.hold_answers()
    running = asyncio.create_task(dispatcher.run())

    await ports.siak.until_sent(1)
    ports.clock.advance(timedelta(minutes=1))  # however long SIAK takes to answer
    assert dispatcher.pacer.allowance(ports.clock()) == 0
    ports.siak.release_answers()
    await ports.siak.until_sent(2)
    await lease.release()
    dispatcher.wake()
    await asyncio.wait_for(running, 10)

    assert ports.siak.sent == [first, second]
    assert [call.answered_before for call in ports.siak.calls] == [0, 1]


async def test_after_the_canary_the_pace_ramps_up_from_the_initial_rate_to_the_maximum() -> None:
    ports = FakePorts()
    for serial in range(80):
        await ports.waiting(MAKASSAR, f"warga-{serial}")
    await ports.region_is(MAKASSAR, SiakStatus.UP)

    waits = await drive(ports, dispatcher_for(ports))

    assert waits[0] == timedelta(0)  # the canary went at once
    assert pauses(waits)[0] == 1 / PACING.initial_rate
    assert pauses(waits)[-1] == 1 / PACING.max_rate
    assert pauses(waits) == sorted(pauses(waits), reverse=True)
    assert len(ports.siak.sent) == 80


async def test_a_regions_own_ceiling_caps_the_ramp() -> None:
    ports = FakePorts()
    for serial in range(80):
        await ports.waiting(MAKASSAR, f"warga-{serial}")
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.control(MAKASSAR, RegionControl(max_rate=4.0))

    waits = await drive(ports, dispatcher_for(ports))

    assert min(pauses(waits)) == 1 / 4.0
    assert len(ports.siak.sent) == 80


async def test_refused_submission_holds_back_only_its_applicant() -> None:
    ports = FakePorts()
    a1, b1 = await ports.waiting(MAKASSAR, "ani"), await ports.waiting(MAKASSAR, "budi")
    a2, b2 = await ports.waiting(MAKASSAR, "ani"), await ports.waiting(MAKASSAR, "budi")
    ports.siak.script(a1, Refused("http_422: data kependudukan tidak cocok"))
    await ports.region_is(MAKASSAR, SiakStatus.UP)

    await drive(ports, dispatcher_for(ports))

    assert ports.siak.sent == [a1, b1, b2]
    parked = ports.submissions.stored(a1)
    assert parked.state is _S.PARKED
    assert parked.parked_reason == "http_422: data kependudukan tidak cocok"
    held = ports.submissions.stored(a2)
    assert held.state is _S.DEFERRED
    assert await ports.submissions.waiting_ahead(held) is None


async def test_a_transient_failure_keeps_the_head_of_the_line_until_its_retry_time() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    first, second = await ports.waiting(MAKASSAR, "ani"), await ports.waiting(MAKASSAR, "budi")
    ports.siak.script(first, Unavailable("http_503"))
    dispatcher = dispatcher_for(ports)
    failed_at = ports.clock()

    await dispatcher.step()
    back_in_line = ports.submissions.stored(first)
    wait = await dispatcher.step()

    assert back_in_line.state is _S.QUEUED
    assert ports.submissions.last_errors[first] == "http_503"
    assert back_in_line.next_attempt_at is not None
    assert (
        timedelta(seconds=0.5) <= back_in_line.next_attempt_at - failed_at <= timedelta(seconds=1)
    )
    assert wait == back_in_line.next_attempt_at - ports.clock()
    assert ports.siak.sent == [first]
    await drive(ports, dispatcher)
    assert ports.siak.sent == [first, first, second]
    assert ports.submissions.stored(first).state is _S.DELIVERED


async def test_force_open_sends_while_siak_is_reported_down() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.DOWN)
    ticket = await ports.waiting(MAKASSAR, "ani")
    await ports.control(MAKASSAR, RegionControl(override=Override.FORCE_OPEN, reason="uji"))

    await drive(ports, dispatcher_for(ports))

    assert ports.siak.sent == [ticket]


async def test_force_closed_holds_back_a_region_that_is_up() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani", _S.QUEUED)
    await ports.control(MAKASSAR, RegionControl(override=Override.FORCE_CLOSED, reason="migrasi"))

    assert await drive(ports, dispatcher_for(ports)) == []
    assert ports.siak.calls == []
    assert ports.submissions.stored(ticket).state is _S.DEFERRED


async def test_a_paused_replay_sends_nothing_until_resumed() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    dispatcher = dispatcher_for(ports)
    await ports.control(MAKASSAR, RegionControl(replay_paused=True))

    assert await drive(ports, dispatcher) == []
    assert ports.siak.calls == []
    await ports.control(MAKASSAR, RegionControl(replay_paused=False))
    await drive(ports, dispatcher)
    assert ports.siak.sent == [ticket]


async def test_a_submission_left_dispatching_by_a_crash_is_sent_again_under_its_ticket() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    await ports.submissions.move(ticket, to=_S.DISPATCHING)  # sent, then the replica died

    await drive(ports, dispatcher_for(ports))

    assert ports.siak.sent == [ticket]
    assert ports.siak.calls[0].payload == payload_for(ticket)
    assert ports.submissions.stored(ticket).state is _S.DELIVERED
    assert ports.submissions.stored(ticket).attempts == 2


BURSTING = PacingConfig(canary_count=0, initial_rate=100.0, max_rate=100.0, burst=20)


def bursting_dispatcher(ports: FakePorts) -> RegionDispatcher:
    deps = ports.dispatch_deps(POLICY, BURSTING, idle_timeout=timedelta(minutes=5))
    return RegionDispatcher(MAKASSAR, deps, FakeLease(MAKASSAR))


async def test_a_stretch_of_the_line_goes_in_one_step_and_is_recorded_delivered() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    tickets = [await ports.waiting(MAKASSAR, f"warga-{n}") for n in range(5)]

    assert await bursting_dispatcher(ports).step() == timedelta(0)

    assert ports.siak.sent == tickets
    assert [ports.submissions.stored(t).state for t in tickets] == [_S.DELIVERED] * 5
    assert [ports.submissions.stored(t).attempts for t in tickets] == [1] * 5


async def test_news_of_the_gate_ends_a_stretch_after_the_submission_in_flight() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    tickets = [await ports.waiting(MAKASSAR, f"warga-{n}") for n in range(5)]
    dispatcher = bursting_dispatcher(ports)
    ports.siak.hold_answers()
    stepping = asyncio.create_task(dispatcher.step())
    await ports.siak.until_sent(1)

    dispatcher.wake(gate_changed=True)  # e.g. the region just went down
    ports.siak.release_answers()
    await stepping

    assert ports.siak.sent == tickets[:1]
    states = [ports.submissions.stored(t).state for t in tickets]
    assert states == [_S.DELIVERED] + [_S.QUEUED] * 4
    assert [ports.submissions.stored(t).attempts for t in tickets[1:]] == [0] * 4


async def test_a_refusal_ends_the_stretch_and_the_applicants_later_submission_waits() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    first = await ports.waiting(MAKASSAR, "ani")
    refused = await ports.waiting(MAKASSAR, "budi")
    behind = await ports.waiting(MAKASSAR, "budi")
    other = await ports.waiting(MAKASSAR, "cici")
    ports.siak.script(refused, Refused("http_422"))

    await drive(ports, bursting_dispatcher(ports))

    assert ports.siak.sent == [first, refused, other]
    assert ports.submissions.stored(refused).state is _S.PARKED
    assert ports.submissions.stored(behind).state is _S.QUEUED
    assert ports.submissions.stored(other).state is _S.DELIVERED


async def test_an_idle_dispatcher_stops_when_cancelled_even_as_a_wake_up_arrives() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)

    def start() -> tuple[Coroutine[Any, Any, None], Callable[[], None]]:
        dispatcher = dispatcher_for(ports)
        return dispatcher.run(), lambda: dispatcher.wake(gate_changed=False)

    await assert_stops_when_cancelled_as_woken(start)


async def test_a_lease_lost_mid_stretch_ends_it_before_the_next_send() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    tickets = [await ports.waiting(MAKASSAR, f"applicant-{n}") for n in range(5)]
    lease = FakeLease(MAKASSAR)
    brisk = PacingConfig(canary_count=0, initial_rate=50.0, max_rate=50.0, burst=10)
    dispatcher = RegionDispatcher(
        MAKASSAR, ports.dispatch_deps(POLICY, brisk, idle_timeout=timedelta(minutes=5)), lease
    )
    ports.siak.hold_answers()
    stepping = asyncio.create_task(dispatcher.step())
    await ports.siak.until_sent(1)

    await lease.release()  # lost: another replica may take the line from here
    ports.siak.release_answers()
    await stepping

    assert ports.siak.sent == tickets[:1]
    assert all(ports.submissions.stored(t).state is not _S.DISPATCHING for t in tickets[1:])


async def test_an_unreadable_canary_is_parked_without_stalling_the_line_behind_it() -> None:
    """SIAK never sees a payload that cannot be opened: it is no canary to wait an answer for."""
    ports = FakePorts()
    unreadable = await ports.waiting(MAKASSAR, "ani")
    ports.sealer.known = set()  # no key of the gate opens it
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    first_step = dispatcher_for(ports)
    await drive(ports, first_step)
    ports.sealer.known = {ports.sealer.key_id}
    readable = await ports.waiting(MAKASSAR, "budi")

    await drive(ports, first_step)

    assert ports.submissions.stored(unreadable).state is _S.PARKED
    assert ports.siak.sent == [readable]


async def test_siak_text_postgresql_cannot_store_does_not_stop_the_line() -> None:
    """SIAK's JSON may carry a NUL or a lone surrogate: each answer is still recorded once,
    and the submissions behind it go."""
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    acknowledged, refused, behind = [
        await ports.waiting(MAKASSAR, name) for name in ("ani", "budi", "citra")
    ]
    ack = b'{"key": "%s", "siak_reference": "R\\u00001"}' % acknowledged.encode()
    ports.siak.script(acknowledged, answer_for(201, ack, idempotency_key=acknowledged))
    refusal = b'{"reason": "bad \\ud800 field"}'
    ports.siak.script(refused, answer_for(422, refusal, idempotency_key=refused))

    await drive(ports, dispatcher_for(ports))

    assert ports.siak.sent == [acknowledged, refused, behind]
    states = [ports.submissions.stored(t).state for t in (acknowledged, refused, behind)]
    assert states == [_S.DELIVERED, _S.PARKED, _S.DELIVERED]


async def test_a_refusal_is_logged_by_its_code_without_siaks_words(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redaction takes out quotes and digits, not a name SIAK writes into its sentence."""
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    refused = await ports.waiting(MAKASSAR, "ani")
    body = b'{"reason": "nama Siti Aminah tidak cocok"}'
    ports.siak.script(refused, answer_for(422, body, idempotency_key=refused))

    with caplog.at_level(logging.WARNING):
        await drive(ports, dispatcher_for(ports))

    assert ports.submissions.stored(refused).state is _S.PARKED
    assert "siak_refused_422" in caplog.text and "Siti" not in caplog.text
