"""Regions whose replay SIAK's misconfigured answers hold: the contract both stores keep."""

from __future__ import annotations

from tests.contract.conftest import Stores, take_regions


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
