"""The chaos suite's invariant checker, on hand-made logs that keep and that break each promise."""

from __future__ import annotations

from chaos.invariants import (
    acceptance_order,
    background_work,
    check,
    exactly_once,
    personal_data,
    sent_while_closed,
)
from chaos.records import Heartbeat, Received, StatusPoint, Submitted, Text
from chaos.timeline import StatusTimeline, in_sequence

MAKASSAR = "73.71"
GOWA = "73.06"
ALWAYS_UP = StatusTimeline([StatusPoint(MAKASSAR, 0, "UP"), StatusPoint(GOWA, 0, "UP")])


def acked(
    key: str, ticket: str, order: int, region: str = MAKASSAR, applicant: str = ""
) -> Submitted:
    return Submitted(key, region, applicant or key, tickets=(ticket,), order=order, answers=(202,))


def got(ticket: str, at: float = 10.0, region: str = MAKASSAR) -> Received:
    return Received(ticket, region, at)


def test_a_clean_run_keeps_every_promise() -> None:
    log = [acked("k1", "T1", 0), acked("k2", "T2", 1), acked("k3", "T3", 0, GOWA)]
    received = [got("T1"), got("T3", region=GOWA), got("T2")]
    verdict = check(
        log,
        received,
        ALWAYS_UP,
        texts=[Text("gate.log", "delivered ticket T1")],
        secrets={"7371010101900001": "k1", "Rina Chaosqxzv": "k1"},
        readiness={"queue_gate": {"tasks": {"relay": {"running": True, "failing": False}}}},
    )
    assert verdict.ok, verdict.failures()
    assert (verdict.acknowledged, verdict.retried, verdict.received) == (3, 0, 3)


def test_submissions_acknowledged_only_after_a_retry_are_counted() -> None:
    retried = Submitted("k1", MAKASSAR, "a1", tickets=("T1",), order=0, answers=(None, 503, 202))
    given_up = Submitted("k2", MAKASSAR, "a2", answers=(None, None))
    verdict = check([retried, given_up, acked("k3", "T3", 1)], [got("T1"), got("T3")], ALWAYS_UP)
    assert (verdict.acknowledged, verdict.retried) == (2, 1)


def test_an_acknowledged_submission_siak_never_received_is_lost() -> None:
    log = [acked("k1", "T1", 0), acked("k2", "T2", 1)]
    assert exactly_once(log, [got("T1")], frozenset()) == (["k2"], [])


def test_a_parked_submission_is_not_lost() -> None:
    log = [acked("k1", "T1", 0), acked("k2", "T2", 1)]
    assert exactly_once(log, [got("T1")], frozenset({"T2"})) == ([], [])


def test_an_unacknowledged_submission_may_or_may_not_arrive() -> None:
    never = Submitted("k9", MAKASSAR, "a9", answers=(None, 500))
    assert exactly_once([never], [], frozenset()) == ([], [])


def test_a_ticket_received_twice_is_duplicated() -> None:
    log = [acked("k1", "T1", 0)]
    assert exactly_once(log, [got("T1"), got("T1", 11)], frozenset()) == ([], ["k1"])


def test_one_key_answered_with_two_tickets_is_duplicated() -> None:
    twice = Submitted("k1", MAKASSAR, "a1", tickets=("T1", "T1b"), order=0)
    assert exactly_once([twice], [got("T1"), got("T1b")], frozenset()) == ([], ["k1"])


def test_a_submission_received_after_a_later_one_of_its_region_is_out_of_order() -> None:
    log = [acked("k1", "T1", 0), acked("k2", "T2", 1), acked("k3", "T3", 2)]
    received = [got("T2"), got("T1"), got("T3")]
    assert acceptance_order(log, received, frozenset()) == ["k1"]


def test_order_is_per_region() -> None:
    log = [acked("k1", "T1", 0), acked("g1", "G1", 0, GOWA), acked("k2", "T2", 1)]
    received = [got("T2"), got("G1", region=GOWA)]
    assert acceptance_order(log, received, frozenset()) == []


def test_only_the_parked_applicants_later_submissions_may_follow_later_ones() -> None:
    log = [
        acked("k1", "T1", 0, applicant="ani"),
        acked("k2", "T2", 1, applicant="ani"),
        acked("k3", "T3", 2, applicant="budi"),
        acked("k4", "T4", 3, applicant="citra"),
    ]
    # T1 parked: ani's T2 waits for the operator; budi's T3 and citra's T4 must keep order.
    received = [got("T4"), got("T2"), got("T3")]
    assert acceptance_order(log, received, frozenset({"T1"})) == ["k3"]


def test_a_receipt_while_the_region_was_down_is_reported() -> None:
    timeline = StatusTimeline([StatusPoint(MAKASSAR, 0, "UP"), StatusPoint(MAKASSAR, 10, "DOWN")])
    received = [got("T1", at=9.0), got("T2", at=10.5), got("T3", at=15.0)]
    assert sent_while_closed(received, timeline, grace_s=1.0) == ["T3 (73.71 DOWN)"]


def test_a_receipt_before_any_status_was_heard_is_reported() -> None:
    assert sent_while_closed([got("T1", at=5.0)], StatusTimeline([]), 1.0) == ["T1 (73.71 UNKNOWN)"]


def test_a_receipt_once_the_region_is_back_up_is_fine() -> None:
    timeline = StatusTimeline([StatusPoint(MAKASSAR, 0, "DOWN"), StatusPoint(MAKASSAR, 20, "UP")])
    assert sent_while_closed([got("T1", at=20.2)], timeline, grace_s=1.0) == []


def test_an_up_status_no_heartbeat_confirms_goes_stale() -> None:
    timeline = StatusTimeline(
        [StatusPoint(MAKASSAR, 0, "UP")],
        [Heartbeat(5, frozenset({MAKASSAR})), Heartbeat(5, frozenset({GOWA}))],
        stale_after_s=6,
    )
    assert timeline.status_at(MAKASSAR, 10) == "UP"
    assert timeline.status_at(MAKASSAR, 11.5) == "STALE"
    assert sent_while_closed([got("T1", at=10.5), got("T2", at=14)], timeline, 1.0) == [
        "T2 (73.71 STALE)"
    ]


def test_a_heartbeat_of_other_regions_does_not_keep_a_region_fresh() -> None:
    timeline = StatusTimeline(
        [StatusPoint(MAKASSAR, 0, "UP")], [Heartbeat(9, frozenset({GOWA}))], stale_after_s=6
    )
    assert timeline.status_at(MAKASSAR, 9) == "STALE"


def test_niks_and_names_are_found_anywhere_and_reported_by_key_only() -> None:
    secrets = {"7371010101900001": "k1", "Rina Chaosqxzv": "k2"}
    texts = [
        Text("queue_gate.log:12", "refused: NIK 7371010101900001 tidak terdaftar"),
        Text("queue-gate.events.v1@3", '{"parked_reason": "nama \'rina chaosqxzv\'"}'),
        Text("GET /v1/submissions/T3", '{"ticket": "x73710101019000012"}'),
        Text("siak_monitor.log:1", "probe 73.71 ok in 12 ms, 7371010101900002 unrelated"),
    ]
    hits = personal_data(texts, secrets)
    assert hits == [
        "queue_gate.log:12: k1",
        "queue-gate.events.v1@3: k2",
        "GET /v1/submissions/T3: k1",
    ]
    assert not any("7371" in hit or "Chaos" in hit for hit in hits)


def test_every_task_running_and_an_empty_outbox_is_healthy() -> None:
    readiness = {
        "queue_gate": {"tasks": {"outbox_relay": {"running": True, "failing": False}}},
        "siak_monitor": {"tasks": {"tick": {"running": True, "failing": False}}},
    }
    assert background_work(readiness, outbox_rows=0) == []


def test_a_stopped_or_failing_task_a_silent_readiness_and_a_full_outbox_are_unhealthy() -> None:
    readiness = {
        "queue_gate": {
            "tasks": {
                "outbox_relay": {"running": False, "failing": True, "last_error": "InterfaceError"},
                "listen": {"running": True, "failing": False},
            }
        },
        "siak_monitor": {"status": "ready"},
    }
    assert background_work(readiness, outbox_rows=4) == [
        "queue_gate/outbox_relay: not running (InterfaceError)",
        "siak_monitor: /readyz names no background tasks",
        "queue_gate: 4 events still in the outbox",
    ]


def test_a_violating_run_names_the_offenders_of_each_invariant() -> None:
    timeline = StatusTimeline([StatusPoint(MAKASSAR, 0, "UP"), StatusPoint(MAKASSAR, 10, "DOWN")])
    log = [acked("k1", "T1", 0), acked("k2", "T2", 1), acked("k3", "T3", 2)]
    received = [got("T2", at=5), got("T1", at=6), got("T1", at=17)]
    verdict = check(log, received, timeline, readiness={"queue_gate": {}}, outbox_rows=0)
    assert not verdict.ok
    assert verdict.failures() == {
        "I1 lost": ["k3"],
        "I1 duplicated": ["k1"],
        "I2 out of order": ["k1"],
        "I3 sent while down": ["T1 (73.71 DOWN)"],
        "I5 unhealthy": ["queue_gate: /readyz names no background tasks"],
    }


def test_duplicate_stale_and_reordered_status_records_change_nothing() -> None:
    written = [
        StatusPoint(MAKASSAR, 1, "UP", seq=1),
        StatusPoint(MAKASSAR, 2, "DOWN", seq=2),
        StatusPoint(MAKASSAR, 3, "DOWN", seq=2),  # duplicate
        StatusPoint(MAKASSAR, 4, "UP", seq=1),  # stale, or reordered
        StatusPoint(GOWA, 5, "UP", seq=1),
        StatusPoint(MAKASSAR, 6, "UP", seq=3),
    ]
    assert [p.at for p in in_sequence(written)] == [1, 2, 5, 6]
