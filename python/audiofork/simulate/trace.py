"""``--trace OUT.jsonl``: the run frame by frame, one JSON object a line.

The first line describes the run (``{"trace": "audiofork-simulate/1", "run": {...}}``);
then every event of every call in order (``call``, ``t_ms``, ``kind`` and the event's
fields, :mod:`audiofork.simulate.log`), payloads as hashes; the last line holds the gates
and failures (``{"kind": "summary", ...}``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audiofork.errors import ValidationError
from audiofork.simulate.report import Report

__all__ = ["TRACE_FORMAT", "Trace", "read_trace", "write_trace"]

TRACE_FORMAT = "audiofork-simulate/1"


def write_trace(path: Path, report: Report) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"trace": TRACE_FORMAT, "run": report.run}) + "\n")
        for call in report.calls:
            for event in call.log.events:
                out.write(json.dumps({"call": call.call, **event.to_json()}) + "\n")
        summary = {
            "kind": "summary",
            "passed": report.passed,
            "gates": [gate.to_json() for gate in report.gates],
            "failures": report.failures,
        }
        out.write(json.dumps(summary) + "\n")


class Trace:
    """A trace read back: the run, each call's records, the summary."""

    def __init__(
        self, run: dict[str, Any], calls: dict[int, list[dict[str, Any]]], summary: dict[str, Any]
    ) -> None:
        self.run, self.calls, self.summary = run, calls, summary


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    raise ValidationError(f"{path}:{number}: not a JSON line") from None
                if not isinstance(record, dict):
                    raise ValidationError(f"{path}:{number}: not a JSON object")
                yield number, record
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path}: cannot be read: {exc}") from None


def read_trace(path: Path) -> Trace:
    """Read a trace, checking its shape (:class:`~audiofork.errors.ValidationError` naming
    the line otherwise)."""
    records = _records(path)
    first = next(records, None)
    if first is None or first[1].get("trace") != TRACE_FORMAT:
        raise ValidationError(f"{path}: not an audiofork simulate trace (no {TRACE_FORMAT} header)")
    calls: dict[int, list[dict[str, Any]]] = {}
    summary: dict[str, Any] = {}
    for number, record in records:
        if record.get("kind") == "summary":
            summary = record
            continue
        call, t_ms = record.get("call"), record.get("t_ms")
        if not isinstance(call, int) or not isinstance(t_ms, (int, float)) or "kind" not in record:
            raise ValidationError(f"{path}:{number}: a record needs call, t_ms and kind")
        calls.setdefault(call, []).append(record)
    return Trace(first[1]["run"], calls, summary)
