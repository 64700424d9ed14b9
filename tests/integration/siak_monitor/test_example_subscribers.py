"""The example status followers of `examples/`, in three languages, on the monitor's records."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

import pytest

from shared import topics
from shared.events import KafkaRecord, SiakStatus, StatusChanged, decode_event
from tests.integration.siak_monitor.conftest import (
    Simulator,
    monitor_settings,
    running_monitor,
    topic_events,
)
from tests.support.example_subscribers import Builds, running
from tests.support.kafka import ReadRecord, produce, produce_all
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def _copy(record: ReadRecord) -> KafkaRecord:
    return KafkaRecord(record.key or b"", record.value, list(record.headers.items()))


def _line(change: StatusChanged) -> str:
    return f"{change.region_code} {change.status} (epoch {change.epoch}, seq {change.seq})"


async def test_example_followers_apply_each_status_change_once_and_ignore_stale_ones(
    bootstrap_servers: str, simulator: Simulator, tmp_path: Path
) -> None:
    builds = asyncio.create_task(asyncio.to_thread(Builds.prepare))
    watched = ["17.03", "17.04"]
    settings = monitor_settings(bootstrap_servers, simulator, ",".join(watched))
    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched) as status,
        running_monitor(settings),
    ):
        await status.until(lambda e: {c.region_code for c in e} == set(watched), what="both up")
        await simulator.set("17.04", "down")
        await status.until(lambda e: e[-1].status == SiakStatus.DOWN, what="17.04 DOWN")
        # Copies of what the monitor published, ahead of its next change: the first (now
        # stale) record of 17.04 and the latest one again, as a redelivery would; and beside
        # them a record that is no CloudEvent at all.
        published = [r for r in status.records if r.key == b"17.04"]
        await produce_all(
            bootstrap_servers, topics.SIAK_STATUS, [_copy(published[0]), _copy(published[-1])]
        )
        await produce(
            bootstrap_servers,
            topics.SIAK_STATUS,
            KafkaRecord(b"17.99", b"{}", [("content-type", b"application/cloudevents+json")]),
            partition=await produce(bootstrap_servers, topics.SIAK_STATUS, _copy(published[-1])),
        )
        await simulator.set("17.04", "up")
        await status.until(lambda e: e[-1].status == SiakStatus.UP, what="17.04 UP again")

    expected: dict[str, list[str]] = defaultdict(list)
    seen: set[bytes] = set()
    for record in status.records:
        if record.value not in seen:
            seen.add(record.value)
            change = decode_event(record.value, StatusChanged).data
            expected[change.region_code].append(_line(change))
    assert [line.split()[1] for line in expected["17.04"]][-3:] == ["UP", "DOWN", "UP"]
    assert len(status.records) == len(seen) + 3, "the stale and repeated copies are on the topic"

    subscribers = (await builds).subscribers(
        tmp_path,
        python="follow_status.py",
        javascript="follow-status.mjs",
        java="FollowStatus",
        arguments=[bootstrap_servers],
    )
    async with running(subscribers):

        async def shown() -> dict[str, dict[str, list[str]]] | None:
            by_language = {
                subscriber.language: {
                    region: [line for line in subscriber.lines() if line.startswith(region + " ")]
                    for region in watched
                }
                for subscriber in subscribers
            }
            # Every region: their records may lie in different partitions, read apart.
            done = all(
                shown[region][-1:] == expected[region][-1:]
                for shown in by_language.values()
                for region in watched
            )
            return by_language if done else None

        shown_by_language = await eventually(
            shown, within=60, what=f"every follower at {expected['17.04'][-1]}"
        )
    for language, regions in shown_by_language.items():
        assert regions == expected, language
