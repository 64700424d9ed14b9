"""Data keys by id: sealed with the current one, opened with whichever sealed it, a key the
gate lacks parked loudly and never logged with the payload."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from prometheus_client import REGISTRY
from pydantic import ValidationError

from services.queue_gate.adapters.sealing import DataKeyring, UnknownDataKeyError
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.settings import DataKeySettings
from shared.events import SiakStatus
from tests.unit.queue_gate.fakes import FakePorts, drive, payload_for
from tests.unit.queue_gate.test_dispatcher import MAKASSAR, dispatcher_for

KEY_A, KEY_B = base64.urlsafe_b64encode(b"a" * 32).decode(), base64.urlsafe_b64encode(b"b" * 32)
_S = SubmissionState


def unopened(reason: str) -> float:
    sample = REGISTRY.get_sample_value("queue_gate_payloads_unopened_total", {"reason": reason})
    return sample or 0.0


def keys(**values: Any) -> DataKeySettings:
    return DataKeySettings.model_validate(values)


def test_the_single_data_key_of_before_is_the_default_key_and_seals() -> None:
    settings = keys(data_key=KEY_A)

    assert settings.data_keyring == {"default": b"a" * 32}
    assert settings.sealing_key_id == "default"


def test_more_keys_are_read_with_and_the_named_one_seals() -> None:
    settings = keys(data_key=KEY_A, data_keys=f"b={KEY_B.decode()}", data_key_id="b")

    assert settings.data_keyring == {"default": b"a" * 32, "b": b"b" * 32}
    assert settings.sealing_key_id == "b"


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({}, "data_key or data_keys"),
        ({"data_key": KEY_A, "data_key_id": "b"}, "data_key_id"),
        ({"data_key": KEY_A, "data_keys": f"b={KEY_B.decode()}"}, "data_key_id"),
        ({"data_keys": "b"}, "data_keys"),
        ({"data_keys": f"b={KEY_A},b={KEY_B.decode()}"}, "data_keys"),
        ({"data_keys": "b=c2hvcnQ", "data_key_id": "b"}, "data_keys (b)"),
        ({"data_key": "not base64 at all!"}, "data_key"),
    ],
)
def test_data_key_settings_that_cannot_work_stop_the_gate_naming_the_field(
    values: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named.replace("(", r"\(").replace(")", r"\)")):
        keys(**values)


def test_a_keyring_opens_with_the_key_a_row_names_and_seals_with_the_current_one() -> None:
    old = DataKeyring({"a": b"a" * 32}, current="a")
    rotated = DataKeyring({"a": b"a" * 32, "b": b"b" * 32}, current="b")
    sealed_before = old.seal(b"personal", ticket_id="tkt_1")
    sealed_after = rotated.seal(b"personal", ticket_id="tkt_2")
    unknown_before, wrong_before = unopened("data_key_unknown"), unopened("does_not_open")

    assert rotated.unseal(sealed_before, ticket_id="tkt_1", key_id="a") == b"personal"
    assert rotated.unseal(sealed_after, ticket_id="tkt_2", key_id="b") == b"personal"
    with pytest.raises(UnknownDataKeyError, match="'b'"):
        old.unseal(sealed_after, ticket_id="tkt_2", key_id="b")
    with pytest.raises(InvalidTag):
        rotated.unseal(sealed_after, ticket_id="tkt_2", key_id="a")
    assert unopened("data_key_unknown") == unknown_before + 1
    assert unopened("does_not_open") == wrong_before + 1


async def test_a_row_sealed_with_a_key_the_gate_lacks_is_parked_loudly_and_the_line_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ports = FakePorts()
    ports.sealer.key_id = "retired"  # sealed before the key was dropped from the settings
    lost = await ports.waiting(MAKASSAR, "ani")
    ports.sealer.key_id = "fake-key"
    ports.sealer.known = {"fake-key"}
    later = await ports.waiting(MAKASSAR, "budi")
    await ports.region_is(MAKASSAR, SiakStatus.UP)

    with caplog.at_level(logging.INFO):
        await drive(ports, dispatcher_for(ports))

    assert ports.siak.sent == [later]
    parked = ports.submissions.stored(lost)
    assert (parked.state, parked.parked_reason) == (_S.PARKED, "data_key_unknown")
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(lost in message and "'retired'" in message for message in errors)
    assert payload_for(lost).decode() not in caplog.text

    # The key configured again, an operator's retry delivers it intact.
    ports.sealer.known.add("retired")
    assert await ports.submissions.move(lost, to=_S.QUEUED, expected=_S.PARKED)
    await drive(ports, dispatcher_for(ports))
    assert ports.siak.calls[-1].payload == payload_for(lost)
    assert ports.submissions.stored(lost).state is _S.DELIVERED
