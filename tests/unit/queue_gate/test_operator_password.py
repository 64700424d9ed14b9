"""Operators' passwords: salted scrypt hashes that carry their own parameters."""

from __future__ import annotations

import pytest

from services.queue_gate.domain.operator_password import (
    DEFAULT_COST,
    ScryptCost,
    WeakPasswordError,
    hash_password,
    password_matches,
)

CHEAP = ScryptCost(n=2**4, r=8, p=1)


def test_a_hash_matches_its_password_only() -> None:
    stored = hash_password("kopi-toraja-2026", cost=CHEAP)

    assert password_matches("kopi-toraja-2026", stored)
    assert not password_matches("kopi-toraja-2027", stored)
    assert "kopi" not in stored


def test_each_hash_has_a_salt_of_its_own() -> None:
    assert hash_password("kopi-toraja-2026", cost=CHEAP) != hash_password(
        "kopi-toraja-2026", cost=CHEAP
    )


def test_the_parameters_are_stored_so_a_cheaper_old_hash_still_matches() -> None:
    stored = hash_password("kopi-toraja-2026", cost=CHEAP)

    assert stored.split("$")[:4] == ["scrypt", "16", "8", "1"]
    assert password_matches("kopi-toraja-2026", stored)


def test_the_default_cost_is_at_least_what_owasp_recommends() -> None:
    assert DEFAULT_COST.n >= 2**15 and DEFAULT_COST.r >= 8
    assert password_matches("kopi-toraja-2026", hash_password("kopi-toraja-2026"))


@pytest.mark.parametrize("stored", ["", "plain-text", "bcrypt$1$2$3$AA$BB", "scrypt$x$8$1$AA$BB"])
def test_a_stored_value_that_is_not_our_hash_matches_nothing(stored: str) -> None:
    assert not password_matches("kopi-toraja-2026", stored)


@pytest.mark.parametrize("password", ["short", "x" * 1025])
def test_a_too_short_or_too_long_password_is_refused(password: str) -> None:
    with pytest.raises(WeakPasswordError):
        hash_password(password, cost=CHEAP)
