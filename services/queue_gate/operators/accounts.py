"""Creating an operator's account: a valid name, a role and a strong password's hash."""

from __future__ import annotations

import asyncio
import re

from services.queue_gate.domain.operator_password import DEFAULT_COST, ScryptCost, hash_password
from services.queue_gate.operators.ports import OperatorAccount, OperatorAccounts, Role

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
"""As the table's check: lower case, so one person cannot hold two accounts by case alone."""


class InvalidOperatorNameError(ValueError):
    """A name outside `NAME_PATTERN`."""


async def create_operator(
    name: str,
    *,
    role: Role,
    password: str,
    accounts: OperatorAccounts,
    cost: ScryptCost = DEFAULT_COST,
) -> OperatorAccount:
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidOperatorNameError(
            "a name has 2 to 63 of a-z, 0-9, '.', '_', '-' and starts with a letter or digit"
        )
    # scrypt takes tens of milliseconds of CPU: off the event loop.
    password_hash = await asyncio.to_thread(hash_password, password, cost=cost)
    account = OperatorAccount(name=name, role=role, password_hash=password_hash)
    await accounts.create(account)
    return account
