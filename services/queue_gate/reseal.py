"""`python -m services.queue_gate.reseal`: every sealed payload moved to the current data key.

Run after a rotation (see README, "Rotating the data key"), while the gate runs: it reads
`DATABASE_URL` and the gate's `GATE_DATA_KEY`, `GATE_DATA_KEYS` and `GATE_DATA_KEY_ID`. Each
batch is one short transaction that skips rows the gate holds; passes repeat until no row is
left under another key. Exit status 0: none left, the old key may go; 1: some are left
(listed: their key is missing, or they do not open, or the gate kept them busy).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TextIO

import asyncpg

from services.queue_gate.adapters.postgres.resealing import PostgresResealer
from services.queue_gate.adapters.sealing import DataKeyring
from services.queue_gate.settings import DataKeySettings
from shared.settings import DatabaseSettings


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m services.queue_gate.reseal")
    parse.add_argument("--batch-size", type=int, default=200, help="rows per transaction")
    parse.add_argument("--passes", type=int, default=10, help="at most this many passes")
    parse.add_argument("--pause-s", type=float, default=2.0, help="wait between passes")
    return parse


async def reseal_all(
    resealer: PostgresResealer, *, passes: int, pause_s: float, out: TextIO
) -> int:
    """Passes over every row until none is left under another key; the exit status."""
    left: dict[str, int] = {}
    for attempt in range(1, passes + 1):
        resealed, unopened, after = 0, {}, 0
        while (batch := await resealer.reseal_batch(after_seq=after)).last_seq is not None:
            after = batch.last_seq
            resealed += batch.resealed
            unopened.update(batch.unopened)
        left = await resealer.left()
        print(f"pass {attempt}: {resealed} re-sealed; left by key id: {left}", file=out)
        if sum(left.values()) <= len(unopened):
            # Nothing was skipped for being busy: another pass would find the same.
            for ticket_id, reason in sorted(unopened.items()):
                print(f"not re-sealed: {ticket_id} ({reason})", file=out)
            break
        await asyncio.sleep(pause_s)
    return 0 if not left else 1


async def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parser().parse_args(argv)
    keyring = DataKeyring.from_settings(DataKeySettings())
    async with asyncpg.create_pool(DatabaseSettings().url, min_size=1, max_size=1) as pool:
        resealer = PostgresResealer(pool, keyring, batch_size=args.batch_size)
        return await reseal_all(resealer, passes=args.passes, pause_s=args.pause_s, out=out)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
