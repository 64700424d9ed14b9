"""`python -m services.queue_gate.operators create <name> --role operator`: the password is
read from the terminal (asked twice) or from stdin's first line, never from an argument."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

import asyncpg

from services.queue_gate.adapters.postgres.operator_store import PostgresOperatorAccounts
from services.queue_gate.domain.operator_password import WeakPasswordError
from services.queue_gate.operators.accounts import InvalidOperatorNameError, create_operator
from services.queue_gate.operators.ports import AccountExistsError, Role
from shared.settings import DatabaseSettings


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.queue_gate.operators")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an operator account of the console")
    create.add_argument("name")
    create.add_argument("--role", choices=[role.value for role in Role], required=True)
    return parser.parse_args(argv)


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise SystemExit("the two passwords differ; nothing created")
    return first


async def _create(name: str, role: Role, password: str) -> None:
    async with asyncpg.create_pool(DatabaseSettings().url, min_size=1, max_size=1) as pool:
        await create_operator(
            name, role=role, password=password, accounts=PostgresOperatorAccounts(pool)
        )


def main(argv: list[str] | None = None) -> None:
    arguments = _arguments(argv)
    role = Role(arguments.role)
    try:
        asyncio.run(_create(arguments.name, role, _password()))
    except (InvalidOperatorNameError, WeakPasswordError) as error:
        raise SystemExit(f"nothing created: {error}") from None
    except AccountExistsError:
        raise SystemExit(f"nothing created: an account {arguments.name} exists") from None
    print(f"created {role.value} {arguments.name}")


if __name__ == "__main__":
    main()
