"""``--baseline FILE``: this run's figures beside a saved run's (its ``--json`` report).

Runs are only comparable when they played the same audio through the same scenario on the
same line at the same speed: a baseline with another audio, scenario, format, impairment,
seed or speed is refused (:class:`~audiofork.errors.ValidationError` naming what differs),
before the run (:func:`check_comparable`). A baseline that is not the shape a report has is
refused the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audiofork.errors import ValidationError

__all__ = ["MUST_MATCH", "check_comparable", "compare", "load_baseline"]

#: What two runs must share to be compared.
MUST_MATCH = (
    "audio",
    "scenario",
    "scenario_steps",
    "impairment",
    "seed",
    "content_type",
    "speed",
)


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"baseline {path}: cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != "audiofork-simulate-report/1":
        raise ValidationError(f"baseline {path}: not a report written by audiofork simulate --json")
    return data


def check_comparable(run: dict[str, Any], baseline: dict[str, Any]) -> None:
    """Refuse a baseline of a run that differs from ``run`` in anything of
    :data:`MUST_MATCH` (known before the run)."""
    theirs = baseline.get("run")
    if not isinstance(theirs, dict):
        raise ValidationError("baseline: its run must be an object")
    differ = [key for key in MUST_MATCH if theirs.get(key) != run.get(key)]
    if differ:
        shown = "; ".join(
            f"{k}: baseline {theirs.get(k)!r:.80}, this run {run.get(k)!r:.80}" for k in differ
        )
        raise ValidationError(f"baseline refused: the runs differ in {shown}")


def _baseline_figures(baseline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    figures = baseline.get("figures", {})
    if not isinstance(figures, dict):
        raise ValidationError("baseline: its figures must be an object")
    for name, summary in figures.items():
        if not isinstance(summary, dict):
            raise ValidationError(f"baseline: figure {name!r:.60} must be an object")
        n = summary.get("n")
        if isinstance(n, bool) or not isinstance(n, int):
            raise ValidationError(f"baseline: figure {name!r:.60}: n must be an integer")
        for stat in ("mean", "p50", "p90", "p99", "max"):
            value = summary.get(stat)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise ValidationError(
                    f"baseline: figure {name!r:.60}: {stat} must be a number or null, "
                    f"got {value!r:.40}"
                )
    return figures


def compare(
    run: dict[str, Any], figures: dict[str, Any], baseline: dict[str, Any]
) -> list[dict[str, Any]]:
    """One row per figure observed in both: the baseline's and this run's p50 (else mean)
    and max, and the change."""
    check_comparable(run, baseline)
    saved = _baseline_figures(baseline)
    rows = []
    for name, mine in figures.items():
        old = saved.get(name)
        if not old or not old.get("n") or not mine.get("n"):
            continue
        stat = "p50" if old.get("p50") is not None and mine.get("p50") is not None else "mean"
        if old.get(stat) is None:
            continue
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
