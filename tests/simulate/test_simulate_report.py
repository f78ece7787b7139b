"""Gates passing and failing, JUnit well-formed with hostile text, baselines refused when
the runs differ."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from audiofork.errors import ValidationError
from audiofork.simulate import CallResult, Gate
from audiofork.simulate.baseline import compare
from audiofork.simulate.junit import junit_xml, xml_text
from audiofork.simulate.log import EventLog
from audiofork.simulate.metrics import BargeIn, CallMetrics
from audiofork.simulate.report import Report, evaluate_gates

RUN: dict[str, Any] = {
    "url": "ws://x/ws",
    "scenario": "audio",
    "scenario_steps": ["say", "hangup"],
    "audio": {"source": "speech", "sha256": "ab", "rate": 16000, "seconds": 10.0},
    "content_type": "audio/x-mulaw;rate=8000",
    "tracks": ["inbound"],
    "impairment": {"loss": 0.0, "jitter_ms": 0.0, "burst": None},
    "seed": 0,
    "calls": 1,
    "repeat": 1,
    "speed": 1.0,
}


def metrics(**fields: Any) -> CallMetrics:
    m = CallMetrics(app_audio_heard=True)
    for key, value in fields.items():
        setattr(m, key, value)
    return m


@pytest.mark.parametrize(
    ("gate", "fields", "value"),
    [
        ("first_audio", {"first_audio_ms": 420.0}, 420.0),
        ("response", {"response_ms": [300.0, 650.0]}, 650.0),
        ("barge_in", {"barge_ins": [BargeIn(1000.0, 90.0, 240.0, 240.0)]}, 240.0),
        ("gap", {"gaps_ms": [20.0, 140.0]}, 140.0),
    ],
)
def test_each_gate_passes_under_its_limit_and_fails_over_it(
    gate: str, fields: dict[str, Any], value: float
) -> None:
    (passed,) = evaluate_gates([Gate(gate, value)], [metrics(**fields)])
    assert passed.passed and passed.value_ms == value
    (failed,) = evaluate_gates([Gate(gate, value - 1)], [metrics(**fields)])
    assert not failed.passed and f"{value:.1f} ms" in failed.detail


@pytest.mark.parametrize(
    ("gate", "fields", "why"),
    [
        ("first_audio", {}, "no audible app audio in call(s) 1"),
        ("response", {}, "no response to any caller utterance"),
        ("barge_in", {}, "no barge-in observed"),
        ("barge_in", {"barge_ins": [BargeIn(0.0, None, None, 900.0)]}, "never went silent"),
        ("gap", {"app_audio_heard": False}, "the app played no audio"),
    ],
)
def test_a_gate_on_a_figure_never_observed_fails(
    gate: str, fields: dict[str, Any], why: str
) -> None:
    (result,) = evaluate_gates([Gate(gate, 10_000)], [metrics(**fields)])
    assert not result.passed and result.value_ms is None and why in result.detail


def test_the_gap_gate_passes_when_the_app_never_ran_dry() -> None:
    (result,) = evaluate_gates([Gate("gap", 50)], [metrics()])
    assert result.passed and result.value_ms is None and result.detail == "no underrun gaps"


def test_the_worst_call_sets_the_first_audio_gate() -> None:
    (result,) = evaluate_gates(
        [Gate("first_audio", 500)], [metrics(first_audio_ms=300.0), metrics(first_audio_ms=700.0)]
    )
    assert result.value_ms == 700.0 and not result.passed


HOSTILE = "bad \x00\x01\x0b\x1b[31m <&>\"' \ud800 \ufffe \U0001f4de ]]> end"


def test_junit_is_well_formed_with_hostile_text_and_has_a_case_per_gate() -> None:
    call = CallResult(1, "s", 8000, EventLog(lambda: 0.0), failures=[f"the app sent {HOSTILE}"])
    gates = evaluate_gates(
        [Gate("first_audio", 100), Gate("gap", 10)], [metrics(first_audio_ms=300.0)]
    )
    report = Report(RUN, [call], [metrics(first_audio_ms=300.0)], gates)
    text = junit_xml(report)
    suite = ET.fromstring(text.encode("utf-8"))
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["gate first_audio", "gate gap", "call 1"]
    assert suite.get("tests") == "3" and suite.get("failures") == "2"
    failure = cases[2].find("failure")
    assert failure is not None
    assert failure.text == "the app sent bad [31m <&>\"'   \U0001f4de ]]> end"
    assert cases[1].find("failure") is None


def test_xml_text_removes_only_what_xml_cannot_carry() -> None:
    assert xml_text("a\tb\nc\rd\x00e\x1ff\ud800g\uffffh") == "a\tb\nc\rdefgh"
    assert xml_text("x" * 10, limit=4) == "xxxx…"


def figures(p50: float) -> dict[str, Any]:
    return {
        "first_audio_ms": {
            "n": 10,
            "mean": p50,
            "p50": p50,
            "p90": None,
            "p99": None,
            "max": p50 + 5,
        }
    }


def test_a_baseline_with_other_audio_impairment_or_seed_is_refused() -> None:
    saved = {"format": "audiofork-simulate-report/1", "run": RUN, "figures": figures(100.0)}
    for key, value in [
        ("seed", 1),
        ("impairment", {"loss": 0.05, "jitter_ms": 40.0, "burst": None}),
        ("audio", {**RUN["audio"], "sha256": "cd"}),
    ]:
        with pytest.raises(ValidationError, match=f"baseline refused: the runs differ in {key}"):
            compare({**RUN, key: value}, figures(120.0), saved)


def test_a_matching_baseline_gives_the_change() -> None:
    saved = {"format": "audiofork-simulate-report/1", "run": RUN, "figures": figures(100.0)}
    (row,) = compare(dict(RUN), figures(120.0), saved)
    assert (row["figure"], row["stat"], row["delta"]) == ("first_audio_ms", "p50", 20.0)
