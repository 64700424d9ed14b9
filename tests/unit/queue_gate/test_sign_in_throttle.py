"""Failed sign-ins are limited per account and address, and per address over many accounts,
so that nobody's failures hold back another operator's right password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.queue_gate.domain.sign_in_throttle import SignInThrottle

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
INGRESS = "10.42.0.7"


def throttle() -> SignInThrottle:
    return SignInThrottle(attempts=3, window=timedelta(minutes=15), names_per_address=5)


def test_the_attempt_past_the_limit_waits_until_the_oldest_failure_leaves_the_window() -> None:
    limiter = throttle()
    for minute in range(3):
        assert limiter.retry_after("ani", INGRESS, NOW + timedelta(minutes=minute)) is None
        limiter.failed("ani", INGRESS, NOW + timedelta(minutes=minute))

    assert limiter.retry_after("ani", INGRESS, NOW + timedelta(minutes=3)) == timedelta(minutes=12)
    assert limiter.retry_after("ani", INGRESS, NOW + timedelta(minutes=15)) is None


def test_failures_on_one_account_hold_no_other_account_from_the_same_address() -> None:
    limiter = throttle()
    for _ in range(3):
        limiter.failed("ani", INGRESS, NOW)

    assert limiter.retry_after("ani", INGRESS, NOW) is not None
    assert limiter.retry_after("budi", INGRESS, NOW) is None


def test_failures_on_a_few_accounts_from_one_address_hold_no_one_else() -> None:
    limiter = throttle()
    for guess in range(4):
        limiter.failed(f"guess{guess}", INGRESS, NOW)
        limiter.failed(f"guess{guess}", INGRESS, NOW)

    assert limiter.retry_after("ani", INGRESS, NOW) is None


def test_failures_on_many_accounts_hold_the_address_for_accounts_never_signed_in_from_it() -> None:
    limiter = throttle()
    limiter.succeeded("ani", INGRESS, NOW - timedelta(days=3))
    for guess in range(5):
        limiter.failed(f"guess{guess}", INGRESS, NOW)

    assert limiter.retry_after("dewi", INGRESS, NOW) == timedelta(minutes=15)
    assert limiter.retry_after("dewi", "10.42.0.8", NOW) is None
    assert limiter.retry_after("ani", INGRESS, NOW) is None


def test_a_success_clears_its_accounts_failures_from_its_address() -> None:
    limiter = throttle()
    limiter.failed("ani", INGRESS, NOW)
    limiter.failed("ani", INGRESS, NOW)
    limiter.succeeded("ani", INGRESS, NOW)
    limiter.failed("ani", INGRESS, NOW)
    limiter.failed("ani", INGRESS, NOW)

    assert limiter.retry_after("ani", INGRESS, NOW) is None


def test_failures_past_the_window_are_forgotten_as_new_ones_come() -> None:
    limiter = throttle()
    later = NOW + timedelta(minutes=16)
    for at in (NOW, later):
        for guess in range(6_000):
            limiter.failed(f"guess{guess}", f"10.0.{guess // 256}.{guess % 256}", at)

    assert limiter.tracked() == 12_000  # the later failures' names and addresses only
