"""Failed sign-ins are limited per account name and per client address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.queue_gate.domain.sign_in_throttle import SignInThrottle

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def throttle() -> SignInThrottle:
    return SignInThrottle(attempts=3, window=timedelta(minutes=15))


def test_the_attempt_past_the_limit_waits_until_the_oldest_failure_leaves_the_window() -> None:
    limiter = throttle()
    for minute in range(3):
        assert limiter.retry_after(["name:ani"], NOW + timedelta(minutes=minute)) is None
        limiter.failed(["name:ani"], NOW + timedelta(minutes=minute))

    assert limiter.retry_after(["name:ani"], NOW + timedelta(minutes=3)) == timedelta(minutes=12)
    assert limiter.retry_after(["name:ani"], NOW + timedelta(minutes=15)) is None


def test_any_key_at_its_limit_holds_the_attempt() -> None:
    limiter = throttle()
    for name in ("ani", "budi", "citra"):
        limiter.failed([f"name:{name}", "client:10.0.0.9"], NOW)

    assert limiter.retry_after(["name:dewi", "client:10.0.0.9"], NOW) is not None
    assert limiter.retry_after(["name:dewi", "client:10.0.0.10"], NOW) is None


def test_a_success_clears_its_keys() -> None:
    limiter = throttle()
    limiter.failed(["name:ani"], NOW)
    limiter.failed(["name:ani"], NOW)
    limiter.succeeded(["name:ani"])
    limiter.failed(["name:ani"], NOW)
    limiter.failed(["name:ani"], NOW)

    assert limiter.retry_after(["name:ani"], NOW) is None
