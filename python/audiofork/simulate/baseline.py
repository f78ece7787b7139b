"""``--baseline FILE``: this run's figures beside a saved run's (its ``--json`` report).

Runs are only comparable when they played the same audio through the same scenario on the
same line: a baseline with another audio, scenario, impairment or seed is refused
(:class:`~audiofork.errors.ValidationError` naming what differs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audiofork.errors import ValidationError

__all__ = ["compare", "load_baseline"]

#: What two runs must share to be compared.
MUST_MATCH = ("audio", "scenario", "scenario_steps", "impairment", "seed", "content_type")


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"baseline {path}: cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != "audiofork-simulate-report/1":
        raise ValidationError(f"baseline {path}: not a report written by audiofork simulate --json")
    return data


def compare(
    run: dict[str, Any], figures: dict[str, Any], baseline: dict[str, Any]
) -> list[dict[str, Any]]:
    """One row per figure observed in both: the baseline's and this run's p50 (else mean)
    and max, and the change."""
    theirs = baseline.get("run", {})
    differ = [key for key in MUST_MATCH if theirs.get(key) != run.get(key)]
    if differ:
        shown = "; ".join(
            f"{k}: baseline {theirs.get(k)!r}, this run {run.get(k)!r}" for k in differ
        )
        raise ValidationError(f"baseline refused: the runs differ in {shown}")
    rows = []
    for name, mine in figures.items():
        old = baseline.get("figures", {}).get(name)
        if not old or not old.get("n") or not mine.get("n"):
            continue
        stat = "p50" if old.get("p50") is not None and mine.get("p50") is not None else "mean"
        delta = mine[stat] - old[stat]
        rows.append(
            {
                "figure": name,
                "stat": stat,
                "baseline": old[stat],
                "now": mine[stat],
                "delta": round(delta, 1),
                "baseline_max": old.get("max"),
                "now_max": mine.get("max"),
                "text": f"{stat} {old[stat]:.1f} -> {mine[stat]:.1f} ms ({delta:+.1f}); "
                f"max {old.get('max')} -> {mine.get('max')}",
            }
        )
    return rows
