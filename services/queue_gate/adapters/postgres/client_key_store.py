"""The portals' intake keys in PostgreSQL, each change audited in the same transaction."""

from __future__ import annotations

import json

import asyncpg

from services.queue_gate.domain.client_key import ClientKey, ClientKeyChange

_COLUMNS = """key_id, name, digest, rate_per_s, burst, regions, created_at, created_by,
    revoked_at, revoked_by"""
_INSERT = """
INSERT INTO client_key (key_id, name, digest, rate_per_s, burst, regions, created_at,
                        created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
_REVOKE = f"""
UPDATE client_key SET revoked_at = now(), revoked_by = $2
 WHERE key_id = $1 AND revoked_at IS NULL
RETURNING {_COLUMNS}
"""
_AUDIT = """
INSERT INTO client_key_audit (key_id, action, change, reason, changed_by)
VALUES ($1, $2, $3::jsonb, $4, $5)
"""


class PostgresClientKeyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, key: ClientKey, *, reason: str) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                _INSERT,
                key.key_id,
                key.name,
                key.digest,
                key.rate_per_s,
                key.burst,
                sorted(key.regions) if key.regions is not None else None,
                key.created_at,
                key.created_by,
            )
            await connection.execute(
                _AUDIT, key.key_id, "created", _change(key), reason, key.created_by
            )

    async def revoke(self, key_id: str, *, actor: str, reason: str) -> ClientKey | None:
        async with self.pool.acquire() as connection, connection.transaction():
            row = await connection.fetchrow(_REVOKE, key_id, actor)
            if row is None:
                return None
            revoked = _to_key(row)
            await connection.execute(_AUDIT, key_id, "revoked", _change(revoked), reason, actor)
        return revoked

    async def active(self) -> list[ClientKey]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM client_key WHERE revoked_at IS NULL ORDER BY created_at"
        )
        return [_to_key(row) for row in rows]

    async def all(self) -> list[ClientKey]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM client_key ORDER BY created_at, key_id"
        )
        return [_to_key(row) for row in rows]

    async def changes(self, key_id: str | None = None) -> list[ClientKeyChange]:
        rows = await self.pool.fetch(
            "SELECT key_id, action, reason, changed_by, changed_at FROM client_key_audit "
            "WHERE $1::text IS NULL OR key_id = $1 ORDER BY id",
            key_id,
        )
        return [ClientKeyChange(**dict(row)) for row in rows]


def _change(key: ClientKey) -> str:
    """What the audit keeps of a key: everything but its digest."""
    return json.dumps(
        {
            "name": key.name,
            "rate_per_s": key.rate_per_s,
            "burst": key.burst,
            "regions": sorted(key.regions) if key.regions is not None else None,
            "revoked": key.revoked_at is not None,
        }
    )


def _to_key(row: asyncpg.Record) -> ClientKey:
    regions = row["regions"]
    return ClientKey(
        key_id=row["key_id"],
        name=row["name"],
        rate_per_s=row["rate_per_s"],
        burst=row["burst"],
        regions=frozenset(regions) if regions is not None else None,
        digest=row["digest"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        revoked_at=row["revoked_at"],
        revoked_by=row["revoked_by"],
    )
