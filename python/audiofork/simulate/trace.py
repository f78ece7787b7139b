"""``--trace OUT.jsonl``: the run frame by frame, one JSON object a line.

The first line describes the run (``{"trace": "audiofork-simulate/1", "run": {...}}``);
then every event of every call in order (``call``, ``t_ms``, ``kind`` and the event's
fields, :mod:`audiofork.simulate.log`), payloads as hashes; the last line holds the gates
and failures (``{"kind": "summary", ...}``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
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


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _list(value: Any) -> bool:
    return isinstance(value, list)


def _optional_number(value: Any) -> bool:
    return value is None or _number(value)


_Check = Callable[[Any], bool]
_WHAT: dict[_Check, str] = {
    _number: "a number",
    _text: "a string",
    _integer: "an integer",
    _flag: "true or false",
    _optional_number: "a number or null",
    _list: "a list",
}
#: The fields the timeline and the plot read, by record kind (other kinds are shown as is).
FIELDS: dict[str, dict[str, _Check]] = {
    "start": {"stream_id": _text, "content_type": _text, "tracks": _list},
    "sent": {"frame": _integer, "track": _text, "rms": _number, "peak": _number},
    "heard": {"frame": _integer, "samples": _integer, "rms": _number, "peak": _number},
    "play_audio": {"ms": _number, "content_type": _text, "rms": _number, "queued_ms": _number},
    "checkpoint": {"name": _text},
    "played_stream": {"name": _text},
    "clear": {"cleared_ms": _number},
    "dtmf": {"digit": _text},
    "bad": {"refused": _text, "detail": _text},
    "degraded": {"refused": _text, "detail": _text},
    "barge_in": {"clip": _text},
    "step": {"index": _integer, "step": _text, "status": _text, "detail": _text},
    "end": {"reason": _text},
}
GATE_FIELDS: dict[str, _Check] = {
    "name": _text,
    "passed": _flag,
    "detail": _text,
    "limit_ms": _number,
    "value_ms": _optional_number,
}


def _check_fields(where: str, record: dict[str, Any], fields: dict[str, _Check]) -> None:
    for name, check in fields.items():
        if not check(record.get(name)):
            shown = repr(record.get(name))[:40]
            raise ValidationError(f"{where}: {name} must be {_WHAT[check]}, got {shown}")


def _check_summary(where: str, summary: dict[str, Any]) -> None:
    gates = summary.get("gates", [])
    if not isinstance(gates, list) or not all(isinstance(g, dict) for g in gates):
        raise ValidationError(f"{where}: gates must be a list of objects")
    for gate in gates:
        _check_fields(where, gate, GATE_FIELDS)


def _check_run(where: str, run: Any) -> dict[str, Any]:
    if not isinstance(run, dict):
        raise ValidationError(f"{where}: the header's run must be an object")
    if not isinstance(run.get("impairment", {}), dict):
        raise ValidationError(f"{where}: the run's impairment must be an object")
    return run


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
    """Read a trace, checking the shape of every record the timeline and the plot read
    (:class:`~audiofork.errors.ValidationError` naming the line and the field otherwise)."""
    records = _records(path)
    first = next(records, None)
    if first is None or first[1].get("trace") != TRACE_FORMAT:
        raise ValidationError(f"{path}: not an audiofork simulate trace (no {TRACE_FORMAT} header)")
    run = _check_run(f"{path}:{first[0]}", first[1].get("run"))
    calls: dict[int, list[dict[str, Any]]] = {}
    summary: dict[str, Any] = {}
    for number, record in records:
        where = f"{path}:{number}"
        kind = record.get("kind")
        if kind == "summary":
            _check_summary(where, record)
            summary = record
            continue
        if not _integer(record.get("call")) or not _number(record.get("t_ms")):
            raise ValidationError(f"{where}: a record needs call (an integer), t_ms and kind")
        if not isinstance(kind, str):
            raise ValidationError(f"{where}: a record needs call (an integer), t_ms and kind")
        _check_fields(where, record, FIELDS.get(kind, {}))
        calls.setdefault(record["call"], []).append(record)
    return Trace(run, calls, summary)
