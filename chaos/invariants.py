"""I1-I5: the promises, checked from the client's log against what SIAK and the stack hold."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaos.records import Received, Submitted, Text
from chaos.timeline import StatusTimeline

IN_FLIGHT_GRACE_S = 1.0
"""A send already under way when a region closes may land just after: the gate learns of the
change only by consuming it, and cannot recall a request SIAK is reading."""


@dataclass
class Verdict:
    """What each invariant found; every list names the offending keys or sources."""

    acknowledged: int = 0
    retried: int = 0
    """Acknowledged only after a retry: shows the fault hit the client."""
    received: int = 0
    parked: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    sent_while_down: list[str] = field(default_factory=list)
    pii_hits: list[str] = field(default_factory=list)
    unhealthy: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.duplicated
            or self.out_of_order
            or self.sent_while_down
            or self.pii_hits
            or self.unhealthy
        )

    def failures(self) -> dict[str, list[str]]:
        """The failing invariants, each with what offends it."""
        found = {
            "I1 lost": self.lost,
            "I1 duplicated": self.duplicated,
            "I2 out of order": self.out_of_order,
            "I3 sent while down": self.sent_while_down,
            "I4 personal data": self.pii_hits,
            "I5 unhealthy": self.unhealthy,
        }
        return {name: offenders for name, offenders in found.items() if offenders}


def check(
    submitted: Sequence[Submitted],
    received: Sequence[Received],
    timeline: StatusTimeline,
    *,
    parked: Iterable[str] = (),
    texts: Iterable[Text] = (),
    secrets: Mapping[str, str] | None = None,
    readiness: Mapping[str, Any] | None = None,
    outbox_rows: int = 0,
) -> Verdict:
    """Every invariant at once; `parked` are tickets the gate parked (SIAK refused them)."""
    parked_tickets = frozenset(parked)
    lost, duplicated = exactly_once(submitted, received, parked_tickets)
    return Verdict(
        acknowledged=sum(s.acknowledged for s in submitted),
        retried=sum(s.acknowledged and len(s.answers) > 1 for s in submitted),
        received=len({r.key for r in received} & _tickets(submitted)),
        parked=len(parked_tickets & _tickets(submitted)),
        lost=lost,
        duplicated=duplicated,
        out_of_order=acceptance_order(submitted, received, parked_tickets),
        sent_while_down=sent_while_closed(received, timeline),
        pii_hits=personal_data(texts, secrets or {}),
        unhealthy=background_work(readiness or {}, outbox_rows),
    )


def _tickets(submitted: Iterable[Submitted]) -> set[str]:
    return {ticket for s in submitted for ticket in s.tickets}


def exactly_once(
    submitted: Sequence[Submitted], received: Sequence[Received], parked: frozenset[str]
) -> tuple[list[str], list[str]]:
    """I1: (lost, duplicated) client keys. One key answered with two tickets is duplicated too."""
    times = Counter(r.key for r in received)
    lost: list[str] = []
    duplicated: list[str] = []
    for submission in submitted:
        if not submission.acknowledged:
            continue
        if len(submission.tickets) > 1 or any(times[t] > 1 for t in submission.tickets):
            duplicated.append(submission.key)
        elif not any(times[t] or t in parked for t in submission.tickets):
            lost.append(submission.key)
    return lost, duplicated


def acceptance_order(
    submitted: Sequence[Submitted], received: Sequence[Received], parked: frozenset[str]
) -> list[str]:
    """I2: client keys SIAK received after a later-accepted submission of the same region.

    A submission held back behind its own applicant's parked one is excused: it may only follow.
    """
    by_ticket = {t: s for s in submitted for t in s.tickets if s.order is not None}
    parked_from: dict[tuple[str, str], int] = {}
    for ticket in parked:
        if (holder := by_ticket.get(ticket)) is not None and holder.order is not None:
            place = (holder.region, holder.applicant)
            parked_from[place] = min(parked_from.get(place, holder.order), holder.order)
    latest: dict[str, int] = defaultdict(lambda: -1)
    offenders: list[str] = []
    seen: set[str] = set()
    for item in received:
        submission = by_ticket.get(item.key)
        if submission is None or submission.order is None or item.key in seen:
            continue  # a second receipt is I1's to report
        seen.add(item.key)
        held_since = parked_from.get((submission.region, submission.applicant))
        if held_since is not None and submission.order > held_since:
            continue
        if submission.order < latest[submission.region]:
            offenders.append(submission.key)
        latest[submission.region] = max(latest[submission.region], submission.order)
    return offenders


def sent_while_closed(
    received: Sequence[Received], timeline: StatusTimeline, grace_s: float = IN_FLIGHT_GRACE_S
) -> list[str]:
    """I3: tickets SIAK received although their region was not open at any moment of the
    `grace_s` before, each with the region and the status it had then."""
    return [
        f"{item.key} ({item.region} {timeline.status_at(item.region, item.at)})"
        for item in received
        if not timeline.open_at_some_point(item.region, item.at - grace_s, item.at)
    ]


_DIGIT_RUN = re.compile(r"(?=(\d{16}))")
_WORD = re.compile(r"\w+")


def personal_data(texts: Iterable[Text], secrets: Mapping[str, str]) -> list[str]:
    """I4: `source: key` wherever a NIK or a name of the run shows; `secrets` maps each to the
    client key it belongs to, so a report never repeats the personal data itself.

    NIKs are found as any 16-digit run, names by their most distinctive (longest) word, so
    a name shown in part counts too.
    """
    niks = {value: key for value, key in secrets.items() if value.isdigit()}
    words = {
        max(_WORD.findall(value), key=len).casefold(): key
        for value, key in secrets.items()
        if not value.isdigit() and _WORD.search(value)
    }
    hits: list[str] = []
    for text in texts:
        found = {niks[run] for run in _DIGIT_RUN.findall(text.content) if run in niks}
        found |= {
            words[word]
            for word in (w.casefold() for w in _WORD.findall(text.content))
            if word in words
        }
        hits.extend(f"{text.source}: {key}" for key in sorted(found))
    return hits


def background_work(readiness: Mapping[str, Any], outbox_rows: int) -> list[str]:
    """I5: each service's tasks, from its `/readyz` body's `tasks` detail, and the outbox.

    A service whose readiness names no tasks cannot show they run: that is reported too.
    """
    problems: list[str] = []
    for service, body in sorted(readiness.items()):
        tasks = body.get("tasks") if isinstance(body, Mapping) else None
        if not isinstance(tasks, Mapping) or not tasks:
            problems.append(f"{service}: /readyz names no background tasks")
            continue
        for name, state in sorted(tasks.items()):
            if not isinstance(state, Mapping):
                problems.append(f"{service}/{name}: unreadable state")
            elif not state.get("running") or state.get("failing"):
                problems.append(f"{service}/{name}: not running ({state.get('last_error')})")
    if outbox_rows:
        problems.append(f"queue_gate: {outbox_rows} events still in the outbox")
    return problems
