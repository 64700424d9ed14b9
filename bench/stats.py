"""Percentiles, medians and the per-window summary shared by every load generator."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Iterable[float]) -> float:
    finite = [value for value in values if not math.isnan(value)]
    return statistics.median(finite) if finite else math.nan


def ratio(figure: float, baseline: float) -> float:
    if baseline == 0 or math.isnan(baseline) or math.isnan(figure):
        return math.nan
    return figure / baseline


@dataclass(frozen=True)
class Sample:
    """One request: when it was sent and answered (perf_counter seconds), and if it succeeded."""

    started: float
    finished: float
    ok: bool


@dataclass(frozen=True)
class WindowStats:
    completed: int
    errors: int
    rate_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def window_stats(samples: Sequence[Sample], start: float, length_s: float) -> WindowStats:
    """Requests answered inside [start, start + length_s): the successful ones count."""
    end = start + length_s
    inside = [s for s in samples if start <= s.finished < end]
    good = [(s.finished - s.started) * 1000 for s in inside if s.ok]
    return WindowStats(
        completed=len(good),
        errors=len(inside) - len(good),
        rate_per_s=len(good) / length_s,
        p50_ms=percentile(good, 0.50),
        p99_ms=percentile(good, 0.99),
        max_ms=max(good, default=math.nan),
    )


def split_windows(
    samples: Sequence[Sample], *, measured_from: float, window_s: float, windows: int
) -> list[WindowStats]:
    return [
        window_stats(samples, measured_from + index * window_s, window_s)
        for index in range(windows)
    ]
