"""Re-sealing stored payloads under the current data key, a short transaction per batch."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from services.queue_gate.adapters.sealing import DataKeyring

# In `seq` order from where the last batch ended; rows another transaction holds (intake, a
# dispatcher marking them, retention purging them) are skipped, not waited for: a later pass
# takes them. The dispatcher may hold a row's old payload and key id meanwhile: the old key
# stays configured until no row needs it, so what it read still opens.
_BATCH = """
SELECT seq, ticket_id, data_key_id, sealed_payload FROM submission
 WHERE seq > $1 AND sealed_payload IS NOT NULL AND data_key_id <> $2
 ORDER BY seq
 LIMIT $3
   FOR UPDATE SKIP LOCKED
"""
# Neither state nor updated_at changes: the line, its counts and retention are untouched.
_RESEAL = """
UPDATE submission AS s SET sealed_payload = r.sealed_payload, data_key_id = $3
  FROM unnest($1::bigint[], $2::bytea[]) AS r(seq, sealed_payload)
 WHERE s.seq = r.seq
"""
_LEFT = """
SELECT data_key_id, count(*) AS n FROM submission
 WHERE sealed_payload IS NOT NULL AND data_key_id <> $1
 GROUP BY data_key_id ORDER BY data_key_id
"""


@dataclass(frozen=True)
class Batch:
    last_seq: int | None
    """Where the batch ended; None: nothing was left after where it began."""
    resealed: int = 0
    unopened: dict[str, str] = field(default_factory=dict)
    """Tickets whose payload could not be opened, and why (their key is unknown, or it does
    not open them): left as they are."""


class PostgresResealer:
    def __init__(self, pool: asyncpg.Pool, keyring: DataKeyring, *, batch_size: int) -> None:
        self.pool = pool
        self.keyring = keyring
        self.batch_size = batch_size

    async def reseal_batch(self, *, after_seq: int) -> Batch:
        """Re-seal the next batch of rows sealed with another key than the current one."""
        current = self.keyring.key_id
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(_BATCH, after_seq, current, self.batch_size)
            if not rows:
                return Batch(last_seq=None)
            resealed: list[tuple[int, bytes]] = []
            unopened: dict[str, str] = {}
            for row in rows:
                ticket_id = row["ticket_id"]
                try:
                    plaintext = self.keyring.unseal(
                        row["sealed_payload"], ticket_id=ticket_id, key_id=row["data_key_id"]
                    )
                except LookupError:
                    unopened[ticket_id] = "data_key_unknown"
                    continue
                except Exception:
                    unopened[ticket_id] = "does_not_open"
                    continue
                resealed.append((row["seq"], self.keyring.seal(plaintext, ticket_id=ticket_id)))
            await connection.execute(
                _RESEAL, [seq for seq, _ in resealed], [sealed for _, sealed in resealed], current
            )
        return Batch(last_seq=rows[-1]["seq"], resealed=len(resealed), unopened=unopened)

    async def left(self) -> dict[str, int]:
        """How many payloads each other key than the current one still seals."""
        rows = await self.pool.fetch(_LEFT, self.keyring.key_id)
        return {row["data_key_id"]: row["n"] for row in rows}
