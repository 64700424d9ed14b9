"""`python -m services.queue_gate.client_keys create|list|revoke`: the portals' intake keys.

Reads `DATABASE_URL` like the migration job. Every change is audited with `--by` (who) and
`--reason` (why); a created key is printed once and never stored.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TextIO

import asyncpg

from services.queue_gate.adapters.postgres.client_key_store import PostgresClientKeyStore
from services.queue_gate.entrypoints.client_keys_api import CreatedClientKey, client_key_view
from services.queue_gate.handlers.client_keys import create_client_key, revoke_client_key
from services.queue_gate.ports import ClientKeyStore
from shared.clock import utc_now
from shared.regions import load_registry
from shared.settings import DatabaseSettings


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m services.queue_gate.client_keys")
    commands = parse.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="a new key for a portal, printed once")
    create.add_argument("--name", required=True, help="the portal, as operators know it")
    create.add_argument("--rate", type=float, required=True, help="submissions per second")
    create.add_argument("--burst", type=int, help="submissions at once (default: a second's)")
    create.add_argument(
        "--regions", help="comma-separated region codes it may submit for (default: all)"
    )
    commands.add_parser("list", help="every key, revoked ones too (never the keys themselves)")
    revoke = commands.add_parser("revoke", help="stop a key (every replica within seconds)")
    revoke.add_argument("key_id")
    for command in (create, revoke):
        command.add_argument("--reason", required=True, help="why, for the audit")
        command.add_argument("--by", required=True, help="who, for the audit")
    return parse


async def run(args: argparse.Namespace, store: ClientKeyStore, out: TextIO) -> int:
    """The command `args` names, against `store`; its exit status."""
    if args.command == "list":
        for key in await store.all():
            print(client_key_view(key).model_dump_json(), file=out)
        return 0
    actor: str = args.by
    if args.command == "revoke":
        revoked = await revoke_client_key(store, args.key_id, actor=actor, reason=args.reason)
        if revoked is None:
            print(f"no active key has the id {args.key_id}", file=sys.stderr)
            return 1
        print(client_key_view(revoked).model_dump_json(), file=out)
        return 0
    try:
        key, secret = await create_client_key(
            store,
            name=args.name,
            rate_per_s=args.rate,
            burst=args.burst,
            regions=args.regions.split(",") if args.regions else None,
            known_regions=load_registry(),
            actor=actor,
            reason=args.reason,
            now=utc_now(),
        )
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    print(CreatedClientKey(key=secret, client=client_key_view(key)).model_dump_json(), file=out)
    print("the key is shown this once: hand it to the portal now", file=sys.stderr)
    return 0


async def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parser().parse_args(argv)
    async with asyncpg.create_pool(DatabaseSettings().url, min_size=1, max_size=1) as pool:
        return await run(args, PostgresClientKeyStore(pool), out)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
