"""A region's SIAK status over time as the topics told it, staleness included."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

from chaos.records import Heartbeat, StatusPoint

OPEN_STATUSES = frozenset({"UP"})
STALE = "STALE"
NEVER_HEARD = "UNKNOWN"


def in_sequence(points: Iterable[StatusPoint]) -> list[StatusPoint]:
    """The records a consumer honouring `seq` takes, in topic order: duplicates, stale and
    reordered ones (no higher `seq` than the region's latest) are not a change of status."""
    latest: dict[str, int] = {}
    taken: list[StatusPoint] = []
    for point in points:
        if point.seq > latest.get(point.region, 0):
            latest[point.region] = point.seq
            taken.append(point)
    return taken


class StatusTimeline:
    """The latest status of each region at any moment.

    A status counts only while confirmed (by its own record or by a heartbeat listing the
    region) within `stale_after_s`, as the gate treats it; without that limit it counts until
    the next record.
    """

    def __init__(
        self,
        points: Iterable[StatusPoint],
        heartbeats: Iterable[Heartbeat] = (),
        *,
        stale_after_s: float | None = None,
        open_statuses: frozenset[str] = OPEN_STATUSES,
    ) -> None:
        self.stale_after_s = stale_after_s
        self.open_statuses = open_statuses
        self._points: dict[str, list[StatusPoint]] = defaultdict(list)
        for point in sorted(points, key=lambda p: p.at):
            self._points[point.region].append(point)
        self._point_times = {r: [p.at for p in ps] for r, ps in self._points.items()}
        confirmations: dict[str, list[float]] = defaultdict(list)
        for heartbeat in heartbeats:
            for region in heartbeat.regions:
                confirmations[region].append(heartbeat.at)
        for region, times in self._point_times.items():
            confirmations[region].extend(times)
        self._confirmed = {r: sorted(ts) for r, ts in confirmations.items()}

    def status_at(self, region: str, at: float) -> str:
        times = self._point_times.get(region, [])
        index = bisect.bisect_right(times, at)
        if index == 0:
            return NEVER_HEARD
        status = self._points[region][index - 1].status
        if self.stale_after_s is not None:
            confirmed = self._confirmed[region]
            last = confirmed[bisect.bisect_right(confirmed, at) - 1]
            if at - last > self.stale_after_s:
                return STALE
        return status

    def open_at_some_point(self, region: str, start: float, end: float) -> bool:
        """Whether the region counted as open at any moment of [start, end].

        Its status only changes at a record or heartbeat (staleness only closes), so looking
        at `start` and at each of those in between is enough.
        """
        moments = [start, *(t for t in self._confirmed.get(region, []) if start < t <= end)]
        return any(self.status_at(region, t) in self.open_statuses for t in moments)
