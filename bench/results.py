"""What a bench run found: per item, measures that each pair a figure with its baseline."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.stats import ratio


@dataclass(frozen=True)
class Target:
    """A measure's goal: `ratio` or `figure` compared with `limit` by `at_least` / `at_most`."""

    text: str
    on: str
    at_least: float | None = None
    at_most: float | None = None

    def met(self, figure: float, ratio_: float) -> bool | None:
        value = ratio_ if self.on == "ratio" else figure
        if math.isnan(value):
            return None
        if self.at_least is not None and value < self.at_least:
            return False
        return not (self.at_most is not None and value > self.at_most)


@dataclass(frozen=True)
class Measure:
    name: str
    unit: str
    figure: float
    baseline: float
    baseline_name: str
    better: str
    """`higher` or `lower`: which way the figure improves."""
    target: Target | None = None

    @property
    def ratio(self) -> float:
        return ratio(self.figure, self.baseline)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.figure, self.ratio)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "figure": _finite(self.figure),
            "baseline": _finite(self.baseline),
            "baseline_name": self.baseline_name,
            "ratio": _finite(self.ratio),
            "better": self.better,
            "target": self.target.text if self.target else None,
            "met": self.met,
        }


@dataclass
class ItemResult:
    key: str
    title: str
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "measures": [measure.as_json() for measure in self.measures],
            "notes": self.notes,
            "tables": [asdict(table) for table in self.tables],
            "details": self.details,
            "error": self.error,
        }


@dataclass(frozen=True)
class Table:
    """A detail table for the report: a caption, column names and rows of cells."""

    caption: str
    columns: list[str]
    rows: list[list[str]]


def _finite(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else round(value, 6)
