"""``audiofork inspect`` on malformed traces: a ValidationError naming the line, never a
KeyError or TypeError from deep inside the timeline or the plot."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from audiofork.errors import ValidationError
from audiofork.simulate.inspector import inspect_trace
from audiofork.simulate.log import EventLog
from audiofork.simulate.report import build_report
from audiofork.simulate.runner import CallResult
from audiofork.simulate.trace import TRACE_FORMAT, write_trace

HEADER = {"trace": TRACE_FORMAT, "run": {"url": "ws://x/ws", "scenario": "s", "seed": 0}}
GOOD = [
    {
        "call": 1,
        "t_ms": 0.0,
        "kind": "start",
        "stream_id": "s",
        "content_type": "audio/x-mulaw;rate=8000",
        "rate": 8000,
        "tracks": ["inbound"],
    },
    {
        "call": 1,
        "t_ms": 20.0,
        "kind": "sent",
        "frame": 0,
        "track": "inbound",
        "rms": 10.0,
        "peak": 30,
        "lost": False,
        "deliver_ms": 20.0,
        "hash": "ab",
    },
    {
        "call": 1,
        "t_ms": 20.0,
        "kind": "heard",
        "frame": 0,
        "samples": 160,
        "rms": 900.0,
        "peak": 2000,
        "queued_ms": 0.0,
        "late_ms": 0.1,
    },
    {
        "call": 1,
        "t_ms": 25.0,
        "kind": "play_audio",
        "ms": 20.0,
        "content_type": "audio/x-l16;rate=8000",
        "bytes": 400,
        "rms": 900.0,
        "queued_ms": 20.0,
        "hash": "cd",
    },
    {"call": 1, "t_ms": 30.0, "kind": "clear", "cleared_ms": 20.0, "checkpoints_dropped": 0},
    {"call": 1, "t_ms": 40.0, "kind": "end", "reason": "hangup", "error": ""},
]
SUMMARY = {
    "kind": "summary",
    "passed": True,
    "gates": [{"name": "gap", "limit_ms": 1.0, "value_ms": None, "passed": True, "detail": "x"}],
    "failures": [],
}


def write(path: Path, header: Any, records: list[Any], summary: Any = SUMMARY) -> Path:
    lines = [header, *records, summary]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


def test_a_well_formed_trace_is_inspected(tmp_path: Path) -> None:
    out = io.StringIO()
    assert inspect_trace(write(tmp_path / "t.jsonl", HEADER, GOOD), out, png=None) == 0
    assert "app clearAudio" in out.getvalue()


@pytest.mark.parametrize(
    ("header", "records", "summary", "line", "what"),
    [
        ({"trace": TRACE_FORMAT}, GOOD, SUMMARY, 1, "run"),
        ({"trace": TRACE_FORMAT, "run": {"impairment": 3}}, GOOD, SUMMARY, 1, "impairment"),
        (HEADER, [GOOD[0], without(GOOD[2], "samples")], SUMMARY, 3, "samples"),
        (HEADER, [GOOD[0], without(GOOD[3], "rms")], SUMMARY, 3, "rms"),
        (HEADER, [GOOD[0], without(GOOD[4], "cleared_ms")], SUMMARY, 3, "cleared_ms"),
        (HEADER, [GOOD[0], {**GOOD[1], "rms": "loud"}], SUMMARY, 3, "rms"),
        (HEADER, [GOOD[0], {**GOOD[1], "track": None}], SUMMARY, 3, "track"),
        (HEADER, [{**GOOD[0], "call": True}], SUMMARY, 2, "call"),
        (HEADER, [without(GOOD[0], "tracks")], SUMMARY, 2, "tracks"),
        (HEADER, GOOD, {"kind": "summary", "gates": [{"name": "gap"}]}, 8, "passed"),
        (HEADER, GOOD, {"kind": "summary", "gates": "all"}, 8, "gates"),
    ],
)
def test_a_malformed_record_is_named_by_its_line(
    tmp_path: Path, header: Any, records: list[Any], summary: Any, line: int, what: str
) -> None:
    path = write(tmp_path / "t.jsonl", header, records, summary)
    with pytest.raises(ValidationError, match=rf"t\.jsonl:{line}: .*{what}"):
        inspect_trace(path, io.StringIO(), png=tmp_path / "t.png")


def test_a_refused_message_keeps_its_record_kind_in_the_trace(tmp_path: Path) -> None:
    """A ``bad`` event carries what was refused in its own field, so the trace's ``kind``
    stays ``bad`` and the timeline shows it."""
    log = EventLog(lambda: 0.0)
    log.add(
        "start", 0.0, stream_id="s", content_type="audio/x-mulaw;rate=8000", rate=8000, tracks=[]
    )
    log.add("bad", 10.0, refused="bad_json", detail="not JSON")
    call = CallResult(1, "s", 8000, log)
    report = build_report(HEADER["run"], [call])
    write_trace(tmp_path / "t.jsonl", report)
    out = io.StringIO()
    inspect_trace(tmp_path / "t.jsonl", out, png=None)
    assert "bad bad_json: not JSON" in out.getvalue()
    assert report.counts()["bad_messages"] == {"bad_json": 1}
