"""`python -m services.queue_gate.migrate`: bring the database schema up to date (an ops job)."""

import asyncio

import asyncpg

from services.queue_gate.adapters.postgres.migrator import migrate
from shared.settings import DatabaseSettings


async def main() -> None:
    connection = await asyncpg.connect(DatabaseSettings().url)
    try:
        applied = await migrate(connection)
    finally:
        await connection.close()
    print("applied: " + (", ".join(applied) if applied else "nothing, schema is current"))


if __name__ == "__main__":
    asyncio.run(main())
