"""The suite's report: one row per scenario, then the offending keys of each failure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chaos.invariants import Verdict

SHOWN_OFFENDERS = 10


@dataclass(frozen=True)
class Outcome:
    scenario: str
    verdict: Verdict
    recovered_s: float | None
    """From healing the fault to every acknowledged submission received; None: not within
    the limit."""
    error: str | None = None
    """Why the scenario could not run to its checks, if it could not."""
    notes: Mapping[str, object] = field(default_factory=dict)
    """What the scenario saw of its fault biting."""

    @property
    def passed(self) -> bool:
        return self.error is None and self.recovered_s is not None and self.verdict.ok


COLUMNS = (
    "scenario",
    "acked",
    "retried",
    "received",
    "parked",
    "lost",
    "dup",
    "order",
    "down",
    "pii",
    "I5",
    "recover s",
    "result",
)


def row(outcome: Outcome) -> list[str]:
    v = outcome.verdict
    recovered = "-" if outcome.recovered_s is None else f"{outcome.recovered_s:.1f}"
    result = "PASS" if outcome.passed else ("ERROR" if outcome.error else "FAIL")
    counts = (v.lost, v.duplicated, v.out_of_order, v.sent_while_down, v.pii_hits, v.unhealthy)
    return [
        outcome.scenario,
        str(v.acknowledged),
        str(v.retried),
        str(v.received),
        str(v.parked),
        *(str(len(items)) for items in counts),
        recovered,
        result,
    ]


def render(outcomes: Sequence[Outcome]) -> str:
    """A Markdown table (it reads as plain text too), then what failed and why."""
    rows = [list(COLUMNS), *(row(o) for o in outcomes)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    lines = [line(rows[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [line(r) for r in rows[1:]]
    for outcome in outcomes:
        lines += _explained(outcome)
    return "\n".join(lines)


def _explained(outcome: Outcome) -> list[str]:
    lines: list[str] = []
    if outcome.notes:
        seen = ", ".join(f"{what}: {count}" for what, count in outcome.notes.items())
        lines.append(f"{outcome.scenario}: the fault bit ({seen})")
    if outcome.error:
        lines.append(f"{outcome.scenario}: could not run: {outcome.error}")
    if outcome.recovered_s is None and outcome.error is None:
        lines.append(f"{outcome.scenario}: did not recover within the limit")
    for invariant, offenders in outcome.verdict.failures().items():
        shown = ", ".join(offenders[:SHOWN_OFFENDERS])
        more = len(offenders) - SHOWN_OFFENDERS
        suffix = f" and {more} more" if more > 0 else ""
        lines.append(f"{outcome.scenario}: {invariant} ({len(offenders)}): {shown}{suffix}")
    return lines
