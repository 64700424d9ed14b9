"""`make demo`: October 2021 in two minutes, on a stack of its own, with its promises checked.

SIAK is taken down for planned data migration in 50 kabupaten/kota at once, Kota Makassar
among them. The maintenance is announced ahead; citizens keep applying online throughout;
Makassar's migration overruns. At the end every submission has reached SIAK exactly once, in
the order it was accepted, and no event carried anyone's NIK or name.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer

from deploy.local.processes import StartError
from deploy.local.python_service import REPO_ROOT
from deploy.local.stack import Stack, StackSettings
from shared import topics
from shared.regions import select_regions

MAKASSAR = "73.71"
WATCHED = "72,73,74"  # Sulawesi Tengah, Selatan and Tenggara: 54 kab/kota
WINDOW = timedelta(seconds=20)  # five days, compressed
OVERRUN = timedelta(seconds=8)
SUBMISSIONS = 300
FAST = {
    "MONITOR_PROBE_INTERVAL_S": "0.5",
    "MONITOR_PROBE_JITTER_S": "0.1",
    "MONITOR_FAILURE_THRESHOLD": "2",
    "MONITOR_SUCCESS_THRESHOLD": "2",
    "MONITOR_HEARTBEAT_PERIOD_S": "1",
    "GATE_CANARY_COUNT": "2",
    "GATE_INITIAL_RATE": "20",
    "GATE_MAX_RATE": "200",
    "GATE_RAMP_INTERVAL_S": "1",
}


class Demo:
    def __init__(self, stack: Stack, http: httpx.AsyncClient) -> None:
        self.stack = stack
        self.env = stack.environment()
        self.http = http
        self.failures: list[str] = []

    def check(self, holds: bool, promise: str) -> None:
        print(f"  [{'ok' if holds else 'FAILED'}] {promise}")
        if not holds:
            self.failures.append(promise)

    async def get(self, base: str, path: str) -> Any:
        response = await self.http.get(self.env[base] + path)
        response.raise_for_status()
        return response.json()

    async def put_siak(self, regions: list[str], state: str) -> None:
        for code in regions:
            await self.http.put(
                f"{self.env['SIAK_SIM_URL']}/_control/regions/{code}", json={"state": state}
            )

    async def gate_status(self, code: str) -> str:
        view = await self.get("GATE_URL", f"/v1/regions/{code}")
        return str(view["siak_status"])


async def until(probe: Callable[[], Awaitable[bool]], what: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await probe():
            return
        await asyncio.sleep(0.25)
    raise TimeoutError(f"{what}: not within {within:.0f} s")


def nik_for(i: int) -> str:
    day = 1 + i % 28 + (40 if i % 2 else 0)  # women add 40 to the day
    return f"7371{1 + i % 9:02d}{day:02d}{1 + i % 12:02d}9{i % 10}{1 + i:04d}"


async def run(demo: Demo) -> None:
    regions = [r.code for r in select_regions(WATCHED)]
    migrating = [MAKASSAR, *[c for c in regions if c != MAKASSAR][:49]]
    still_open = [c for c in regions if c not in migrating]
    print(f"Watching {len(regions)} kab/kota; {len(migrating)} will migrate, incl. Makassar.")

    async def all_up() -> bool:
        return all([await demo.gate_status(c) == "UP" for c in (MAKASSAR, *still_open)])

    await until(all_up, "every region UP at the gate")
    starts = datetime.now(UTC) + timedelta(seconds=4)
    plan = {
        "regions": migrating,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + WINDOW).isoformat(),
        "reason": "data_migration",
        "message": {"id": "Migrasi data SIAK", "en": "SIAK data migration"},
    }
    announced = await demo.http.post(
        f"{demo.env['MONITOR_URL']}/v1/maintenance",
        json=plan,
        headers={"Authorization": f"Bearer {demo.env['MONITOR_ADMIN_TOKEN']}"},
    )
    demo.check(announced.status_code == 201, "maintenance announced ahead (201)")
    print(f"1. Maintenance announced for {starts:%H:%M:%S} UTC, lasting {WINDOW.seconds} s.")

    async def started() -> bool:
        return await demo.gate_status(MAKASSAR) == "MAINTENANCE"

    await until(started, "Makassar in MAINTENANCE at the gate")
    await demo.put_siak(migrating, "maintenance")
    print("2. The window started: the gates of the migrating regions closed.")

    tickets = await submit_during_outage(demo, migrating, still_open)
    await until(lambda: delivered_all(demo, still_open, tickets), "open regions delivered")
    received = await demo.get("SIAK_SIM_URL", "/_control/received")
    demo.check(
        all(item["region"] in still_open for item in received["items"]),
        "nothing reached SIAK for a region in maintenance",
    )

    await until(_past(starts + WINDOW), "the window's end", within=60)
    await demo.put_siak([c for c in migrating if c != MAKASSAR], "up")
    print("4. The window ended: 49 regions came back; Makassar's migration overran.")

    async def overran() -> bool:
        view = await demo.get("MONITOR_URL", f"/v1/regions/{MAKASSAR}")
        return bool(view["status"] == "DOWN" and view["reason"] == "maintenance_overrun")

    await until(overran, "Makassar DOWN maintenance_overrun")
    demo.check(True, "an overrun is DOWN (maintenance_overrun), never UP on the clock")
    await asyncio.sleep(OVERRUN.total_seconds())  # the overrun itself: SIAK still migrating
    await demo.put_siak([MAKASSAR], "up")
    print("5. Makassar's migration finished; its backlog replays gently.")
    await until(lambda: delivered_all(demo, regions, tickets), "every submission", within=120)
    await verify(demo, tickets)


async def submit_during_outage(
    demo: Demo, migrating: list[str], still_open: list[str]
) -> dict[str, list[str]]:
    tickets: dict[str, list[str]] = {}
    targets = [MAKASSAR] * (SUBMISSIONS * 2 // 3) + (migrating[1:] + still_open) * 5
    for i, code in enumerate(targets[:SUBMISSIONS]):
        response = await demo.http.post(
            f"{demo.env['GATE_URL']}/v1/submissions",
            json={
                "region_code": code,
                "service_type": "ktp_el_recording",
                "applicant": {"nik": nik_for(i), "name": f"Warga Demo {i}"},
                "details": {"kecamatan": "Demo"},
            },
            headers={
                "Authorization": f"Bearer {demo.env['GATE_API_KEY']}",
                "Idempotency-Key": f"demo-{i}",
            },
        )
        response.raise_for_status()
        tickets.setdefault(code, []).append(response.json()["ticket_id"])
    states = {(await demo.get("GATE_URL", f"/v1/submissions/{tickets[MAKASSAR][0]}"))["state"]}
    print(f"3. {SUBMISSIONS} citizens applied during the outage: all accepted (202).")
    demo.check(states == {"deferred"}, "Makassar's submissions wait, deferred, not refused")
    return tickets


async def delivered_all(demo: Demo, regions: list[str], tickets: dict[str, list[str]]) -> bool:
    received = await demo.get("SIAK_SIM_URL", "/_control/received")
    keys = {item["key"] for item in received["items"]}
    return all(t in keys for code in regions for t in tickets.get(code, []))


async def verify(demo: Demo, tickets: dict[str, list[str]]) -> None:
    print("6. Every promise, checked:")
    received = await demo.get("SIAK_SIM_URL", "/_control/received")
    keys = [item["key"] for item in received["items"]]
    accepted = [t for ts in tickets.values() for t in ts]
    demo.check(sorted(keys) == sorted(accepted), f"all {len(accepted)} reached SIAK once each")
    in_order = [await siak_order(demo, c) == await acceptance_order(demo, c) for c in tickets]
    demo.check(all(in_order), "each region's submissions reached SIAK in acceptance order")
    leaked = await personal_data_in_events(demo)
    demo.check(leaked == 0, "no NIK or name in any event on Kafka")
    history = await demo.get("MONITOR_URL", f"/v1/regions/{MAKASSAR}/history")
    path = [step["status"] for step in sorted(history, key=lambda step: step["since"])]
    demo.check(
        path[-3:] == ["MAINTENANCE", "DOWN", "UP"], f"Makassar went {' -> '.join(path[-3:])}"
    )


async def siak_order(demo: Demo, code: str) -> list[str]:
    received = await demo.get("SIAK_SIM_URL", f"/_control/received?region={code}")
    return [item["key"] for item in received["items"]]


async def acceptance_order(demo: Demo, code: str) -> list[str]:
    connection = await asyncpg.connect(demo.env["DATABASE_URL"])
    try:
        rows = await connection.fetch(
            "SELECT ticket_id FROM submission WHERE region_code = $1 ORDER BY seq", code
        )
    finally:
        await connection.close()
    return [row["ticket_id"] for row in rows]


async def personal_data_in_events(demo: Demo) -> int:
    names = [topics.SIAK_STATUS, topics.SIAK_MAINTENANCE, topics.GATE_EVENTS]
    consumer = AIOKafkaConsumer(
        *names,
        bootstrap_servers=demo.env["KAFKA_BOOTSTRAP_SERVERS"],
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        text = ""
        for _ in range(20):
            batches = await consumer.getmany(timeout_ms=500)
            text += "".join(r.value.decode() for rs in batches.values() for r in rs)
    finally:
        await consumer.stop()
    print(f"     read {len(text) // 1024} KiB of events")
    return sum(nik_for(i) in text or f'Warga Demo {i}"' in text for i in range(SUBMISSIONS))


def _past(moment: datetime) -> Callable[[], Awaitable[bool]]:
    async def past() -> bool:
        return datetime.now(UTC) > moment

    return past


DEMO_STATE = REPO_ROOT / ".run" / "demo"


def demo_stack() -> Stack:
    return Stack(
        StackSettings(
            state_dir=DEMO_STATE,
            kafka_port=19192,
            kafka_controller_port=19193,
            postgres_port=15533,
            siak_sim_port=18190,
            monitor_port=18181,
            gate_port=18180,
            watch=WATCHED,
            extra_env=FAST,
        )
    )


async def main() -> int:
    await asyncio.to_thread(demo_stack().down)  # what a previous run may have left
    shutil.rmtree(DEMO_STATE, ignore_errors=True)  # the story starts from nothing every time
    stack = demo_stack()
    failures: list[str] = []
    try:
        print("Starting Kafka, PostgreSQL, the SIAK simulator, siak_monitor and queue_gate ...")
        await asyncio.to_thread(stack.up)  # its readiness checks run event loops of their own
        async with httpx.AsyncClient(timeout=10) as http:
            demo = Demo(stack, http)
            await run(demo)
            failures = demo.failures
    except (StartError, TimeoutError, httpx.HTTPError) as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    finally:
        await asyncio.to_thread(stack.down)
    print(json.dumps({"failed": failures}) if failures else "All promises kept.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
