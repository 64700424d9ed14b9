"""How long a transiently failed submission waits before it is tried again."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    base: timedelta = timedelta(seconds=1)
    cap: timedelta = timedelta(minutes=5)
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.cap < self.base or self.factor < 1:
            raise ValueError("needs 0 < base <= cap and factor >= 1")


DEFAULT_BACKOFF = BackoffPolicy()


def retry_delay(
    attempt: int,
    *,
    policy: BackoffPolicy = DEFAULT_BACKOFF,
    jitter: Callable[[], float] = random.random,
) -> timedelta:
    """Capped exponential backoff for the `attempt`-th retry (from 1), with equal jitter.

    Half the delay is fixed so a retry never comes right back; the other half is spread by
    `jitter` (uniform in [0, 1)) so many regions recovering at once do not retry in step.
    """
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    base, ceiling = policy.base.total_seconds(), policy.cap.total_seconds()
    growths = attempt - 1
    # Checked on a log scale first, so a large attempt count cannot overflow the power.
    if policy.factor > 1 and growths >= math.log(ceiling / base, policy.factor):
        delay = ceiling
    else:
        delay = min(ceiling, base * policy.factor**growths)
    spread = min(max(jitter(), 0.0), 1.0)
    return timedelta(seconds=delay / 2 + spread * delay / 2)
