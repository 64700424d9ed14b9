"""The chaos load client's applicants and its loopback-only rule."""

from __future__ import annotations

import pytest

from chaos.invariants import personal_data
from chaos.load import MAX_APPLICANTS, Applicant, require_loopback
from chaos.records import Text
from services.queue_gate.domain.nik import nik_problem


def test_every_applicant_of_a_run_has_a_valid_nik_and_distinct_personal_data() -> None:
    applicants = [Applicant.number(i) for i in range(MAX_APPLICANTS)]
    assert [a.nik for a in applicants if nik_problem(a.nik) is not None] == []
    assert len({a.nik for a in applicants}) == MAX_APPLICANTS
    assert len({a.name for a in applicants}) == MAX_APPLICANTS


def test_one_applicants_name_is_never_found_in_anothers() -> None:
    first, twenty_seventh = Applicant.number(1), Applicant.number(27)
    secrets = {twenty_seventh.name: "k27"}
    assert personal_data([Text("log", f"parked: {first.name}")], secrets) == []
    assert personal_data([Text("log", f"parked: {twenty_seventh.name}")], secrets) == ["log: k27"]


def test_applicants_beyond_the_serials_are_refused() -> None:
    with pytest.raises(ValueError, match="out of range"):
        Applicant.number(MAX_APPLICANTS)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"])
def test_loopback_addresses_are_allowed(url: str) -> None:
    assert require_loopback(url) == url


@pytest.mark.parametrize("url", ["http://10.0.0.5:8080", "https://siak.example.go.id"])
def test_any_other_address_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        require_loopback(url)
