"""Regions whose replay SIAK's misconfigured answers hold: the contract both stores keep."""

from __future__ import annotations

from services.queue_gate.domain.ticket import SubmissionState
from tests.contract.conftest import Stores, take_regions
from tests.contract.test_submission_store import accepted


async def test_a_region_keeps_the_latest_status_flagged_until_cleared(stores: Stores) -> None:
    flags = stores.misconfigurations
    region, cleared, untouched = take_regions(3)

    await flags.flag(region, 401)
    await flags.flag(region, 401)  # the same answer again
    await flags.flag(region, 404)
    await flags.flag(cleared, 403)
    await flags.clear(cleared)
    await flags.clear(untouched)  # nothing flagged: nothing to clear

    flagged = await flags.flagged()
    assert {code: flagged.get(code) for code in (region, cleared, untouched)} == {
        region: 404,
        cleared: None,
        untouched: None,
    }


async def test_flags_are_cleared_where_nothing_waits_and_kept_where_something_does(
    stores: Stores,
) -> None:
    flags = stores.misconfigurations
    emptied, holding, deferred = take_regions(3)
    for region in (emptied, holding, deferred):
        await flags.flag(region, 404)
    await accepted(stores.submissions, holding, "ani")
    await accepted(stores.submissions, deferred, "budi", state=SubmissionState.DEFERRED)
    [gone] = await accepted(stores.submissions, emptied, "cici")
    await stores.submissions.move(gone, to=SubmissionState.CANCELLED)  # removed by hand

    cleared = await flags.clear_where_nothing_waits()

    assert emptied in cleared
    assert holding not in cleared and deferred not in cleared
    flagged = await flags.flagged()
    assert {code: flagged.get(code) for code in (emptied, holding, deferred)} == {
        emptied: None,
        holding: 404,
        deferred: 404,
    }
