"""Writes a run's results as `bench/results.md` (for people) and `bench/results.json`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.results import ItemResult, Measure


def write_results(
    items: list[ItemResult], meta: dict[str, Any], *, markdown: Path, json_path: Path
) -> None:
    document = {"meta": meta, "items": [item.as_json() for item in items]}
    temporary = json_path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    temporary.replace(json_path)
    markdown.write_text(render_markdown(items, meta))


def render_markdown(items: list[ItemResult], meta: dict[str, Any]) -> str:
    lines = [
        "# SIAK Gate: benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); every figure sits beside a baseline "
        "measured in the same run on the same machine. Ratio = SIAK Gate ÷ baseline; whether "
        "higher or lower is better is given per row.",
        "",
        *_meta_lines(meta),
        "",
        "## Summary",
        "",
        *_table_lines(
            [
                "item",
                "measure",
                "SIAK Gate",
                "baseline",
                "baseline is",
                "ratio",
                "better",
                "target",
                "met",
            ],
            [_summary_row(item, m) for item in items for m in item.measures],
        ),
    ]
    for item in items:
        lines += ["", f"## {item.title}", ""]
        if item.error:
            lines += [f"**Not measured:** {item.error}", ""]
        for table in item.tables:
            lines += [f"{table.caption}:", "", *_table_lines(table.columns, table.rows), ""]
        lines += [f"- {note}" for note in item.notes]
    return "\n".join(lines).rstrip() + "\n"


def _meta_lines(meta: dict[str, Any]) -> list[str]:
    settings = meta.get("stack_settings", {})
    lines = [
        f"- Run: {meta.get('started_at')} UTC, {meta.get('duration_s', 0) / 60:.1f} min, "
        f"scale `{meta.get('scale')}`, {meta.get('runs')} measured windows/runs per figure "
        f"(median), warm-up {meta.get('warmup_s')} s excluded, "
        f"windows of {meta.get('window_s')} s.",
        f"- Machine: {meta.get('cores')} cores ({meta.get('cpu')}), "
        f"{meta.get('memory_gib')} GiB, Linux {meta.get('kernel')}; Python {meta.get('python')}, "
        f"PostgreSQL {meta.get('postgresql')}, Kafka {meta.get('kafka')}; all processes on this "
        "machine, traffic on 127.0.0.1 only.",
        f"- Source measured: {meta.get('source')}.",
        "- Stack settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + ".",
    ]
    return lines


def _summary_row(item: ItemResult, measure: Measure) -> list[str]:
    met = {True: "yes", False: "**no**", None: ""}[measure.met]
    return [
        item.title.split(" ", 1)[0].rstrip("."),
        measure.name,
        _number(measure.figure, measure.unit),
        _number(measure.baseline, measure.unit),
        measure.baseline_name,
        "n/a" if math.isnan(measure.ratio) else f"{measure.ratio:.2f}",
        measure.better,
        measure.target.text if measure.target else "",
        met,
    ]


def _number(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "core":
        return f"{100 * value:.2f} %"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}"


def _table_lines(columns: list[str], rows: list[list[str]]) -> list[str]:
    escaped = [[cell.replace("|", "\\|") for cell in row] for row in rows]
    return [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join(" --- " for _ in columns) + "|",
        *("| " + " | ".join(row) + " |" for row in escaped),
    ]
