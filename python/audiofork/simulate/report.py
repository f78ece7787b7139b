"""A run's report: the calls' outcomes and steps, the figures pooled over every call, the
gates, and what the run was (audio, impairment, seed), as JSON and as text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from audiofork.simulate.metrics import CallMetrics, Summary, call_metrics, summarize
from audiofork.simulate.runner import CallResult

__all__ = ["GATES", "Gate", "GateResult", "Report", "build_report", "evaluate_gates"]

#: Gate name → (the figure it limits, what it means).
GATES = {
    "first_audio": "time to first audio, worst call",
    "response": "response latency, worst utterance",
    "barge_in": "barge-in time to silence, worst barge-in",
    "gap": "longest underrun gap",
}


@dataclass(frozen=True)
class Gate:
    name: str  # one of GATES
    limit_ms: float


@dataclass(frozen=True)
class GateResult:
    name: str
    limit_ms: float
    value_ms: float | None
    passed: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        value = None if self.value_ms is None else round(self.value_ms, 1)
        return {
            "name": self.name,
            "limit_ms": self.limit_ms,
            "value_ms": value,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass
class Report:
    """What a run found; :meth:`to_json` is the ``--json`` file and the baseline format."""

    run: dict[str, Any]  # url, audio, scenario, impairment, seed, calls, repeat, speed
    calls: list[CallResult]
    metrics: list[CallMetrics]
    gates: list[GateResult] = field(default_factory=list)
    baseline: list[dict[str, Any]] | None = None

    @property
    def failures(self) -> list[str]:
        return [f"call {c.call}: {f}" for c in self.calls for f in c.failures]

    @property
    def passed(self) -> bool:
        return not self.failures and all(g.passed for g in self.gates)

    def figures(self) -> dict[str, Summary]:
        """Each figure pooled over every call."""
        ms = self.metrics
        first = [m.first_audio_ms for m in ms if m.first_audio_ms is not None]
        barge = [b for m in ms for b in m.barge_ins]
        return {
            "first_audio_ms": summarize(first),
            "response_ms": summarize(r for m in ms for r in m.response_ms),
            "barge_in_reaction_ms": summarize(
                b.reaction_ms for b in barge if b.reaction_ms is not None
            ),
            "barge_in_silence_ms": summarize(
                b.silence_ms for b in barge if b.silence_ms is not None
            ),
            "barge_in_heard_ms": summarize(b.heard_ms for b in barge),
            "checkpoint_turnaround_ms": summarize(
                t for m in ms for t in m.checkpoint_turnaround_ms
            ),
            "run_ahead_ms": summarize(t for m in ms for t in m.run_ahead_ms),
            "gap_ms": summarize(g for m in ms for g in m.gaps_ms),
            "pacing_late_ms": summarize(t for m in ms for t in m.pacing_late_ms),
        }

    def counts(self) -> dict[str, Any]:
        ms = self.metrics
        formats: dict[str, int] = {}
        bad: dict[str, int] = {}
        for m in ms:
            for key, n in m.formats.items():
                formats[key] = formats.get(key, 0) + n
            for key, n in m.bad_messages.items():
                bad[key] = bad.get(key, 0) + n
        return {
            "calls": len(self.calls),
            "calls_failed": sum(1 for c in self.calls if c.failures),
            "frames_sent": sum(m.frames_sent for m in ms),
            "frames_lost": sum(m.frames_lost for m in ms),
            "caller_audio_ms": round(sum(m.caller_audio_ms for m in ms), 1),
            "play_audio": sum(m.play_audio for m in ms),
            "play_audio_ms": round(sum(m.play_audio_ms for m in ms), 1),
            "formats": formats,
            "off_frame_chunks": sum(m.off_frame_chunks for m in ms),
            "bad_messages": bad,
            "utterances": sum(m.utterances for m in ms),
            "unanswered_utterances": sum(m.unanswered_utterances for m in ms),
            "barge_ins": sum(len(m.barge_ins) for m in ms),
            "checkpoints_unanswered": sum(m.checkpoints_unanswered for m in ms),
            "gaps": sum(len(m.gaps_ms) for m in ms),
            "media_dropped": sum(c.stats.media_dropped for c in self.calls),
            "events_dropped": sum(c.log.dropped for c in self.calls),
            "payloads_dropped": sum(c.payloads_dropped for c in self.calls),
            "status_callbacks": _callback_counts(self.calls),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "audiofork-simulate-report/1",
            "passed": self.passed,
            "run": self.run,
            "figures": {k: v.to_json() for k, v in self.figures().items()},
            "counts": self.counts(),
            "gates": [g.to_json() for g in self.gates],
            "failures": self.failures,
            "calls": [_call_json(c, m) for c, m in zip(self.calls, self.metrics, strict=True)],
            "baseline": self.baseline,
        }

    def text(self) -> str:
        """The summary printed at the end of a run."""
        lines = []
        run = self.run
        imp = run["impairment"]
        lines.append(
            f"{run['calls'] * run['repeat']} call(s) to {run['url']}"
            f"{' (an answer URL, through the emulator)' if run.get('answer_url') else ''}: "
            f"scenario {run['scenario']}, audio {run['audio']['source']} "
            f"({run['audio']['seconds']:.2f} s), seed {run['seed']}, "
            f"loss {imp['loss']:g}, jitter {imp['jitter_ms']:g} ms, burst {imp['burst'] or 'none'}"
        )
        if len(self.calls) <= 3:
            for call in self.calls:
                if call.placed is not None:
                    lines.append(f"  call {call.call} {call.placed.text()}")
                for step in call.steps:
                    at = "" if step.started_ms is None else f" at {step.started_ms:.0f} ms"
                    lines.append(
                        f"  call {call.call} step {step.index} {step.kind}: "
                        f"{step.status}{at} {step.detail}".rstrip()
                    )
        for name, s in self.figures().items():
            lines.append(f"  {name:26} {_summary_text(s)}")
        counts = self.counts()
        lines.append(
            "  frames sent {frames_sent}, lost {frames_lost}; playAudio {play_audio} "
            "({play_audio_ms:.0f} ms, off-frame {off_frame_chunks}); utterances {utterances} "
            "(unanswered {unanswered_utterances}); barge-ins {barge_ins}; gaps {gaps}; "
            "bad messages {bad_messages}".format(**counts)
        )
        if counts["status_callbacks"] is not None:
            lines.append(
                "  through the emulator: status callbacks {delivered} accepted, "
                "{refused} not accepted".format(**counts["status_callbacks"])
            )
        if counts["events_dropped"] or counts["payloads_dropped"]:
            lines.append(
                "  logs capped: {events_dropped} events not kept (figures cover what was kept), "
                "{payloads_dropped} payloads not kept".format(**counts)
            )
        for gate in self.gates:
            mark = "PASS" if gate.passed else "FAIL"
            lines.append(f"  gate {gate.name}: {mark} ({gate.detail})")
        for failure in self.failures[:20]:
            lines.append(f"  FAILED {failure}")
        if len(self.failures) > 20:
            lines.append(f"  … and {len(self.failures) - 20} more failures")
        if self.baseline is not None:
            for row in self.baseline:
                lines.append(f"  vs baseline {row['figure']}: {row['text']}")
        lines.append("PASSED" if self.passed else "FAILED")
        return "\n".join(lines)


def _callback_counts(calls: Sequence[CallResult]) -> dict[str, int] | None:
    """Status callbacks the app accepted and did not, over the calls placed through the
    emulator (``None`` when none was)."""
    placed = [c.placed for c in calls if c.placed is not None]
    if not placed:
        return None
    tried = [callback for p in placed for callback in p.callbacks]
    delivered = sum(c.delivered for c in tried)
    return {"delivered": delivered, "refused": len(tried) - delivered}


def _summary_text(s: Summary) -> str:
    if s.n == 0:
        return "not observed"
    parts = [f"n={s.n}", f"mean {s.mean:.1f}"]
    parts += [
        f"{k} {getattr(s, k):.1f}" for k in ("p50", "p90", "p99") if getattr(s, k) is not None
    ]
    parts.append(f"max {s.max:.1f}")
    return ", ".join(parts)


def _call_json(call: CallResult, m: CallMetrics) -> dict[str, Any]:
    return {
        "call": call.call,
        "stream_id": call.stream_id,
        "ended": call.ended,
        "failures": call.failures,
        "steps": [s.to_json() for s in call.steps],
        "first_audio_ms": None if m.first_audio_ms is None else round(m.first_audio_ms, 1),
        "response_ms": [round(v, 1) for v in m.response_ms],
        "barge_ins": [
            {k: (None if v is None else round(v, 1)) for k, v in asdict(b).items()}
            for b in m.barge_ins
        ],
        "gaps_ms": [round(v, 1) for v in m.gaps_ms],
        "frames_sent": m.frames_sent,
        "frames_lost": m.frames_lost,
        "play_audio_ms": round(m.play_audio_ms, 1),
        "platform": None if call.placed is None else call.placed.to_json(),
    }


def evaluate_gates(gates: Sequence[Gate], metrics: Sequence[CallMetrics]) -> list[GateResult]:
    """Each gate against the worst value it limits, pooled over every call. A gate over no
    calls fails; the response gate also fails when any caller utterance went unanswered."""
    results = []
    for gate in gates:
        value, missing = _worst(gate.name, metrics) if metrics else (None, "no calls were made")
        if value is None:
            passed = gate.name == "gap" and missing == ""
            detail = missing or "no underrun gaps"
        else:
            passed = value <= gate.limit_ms
            detail = f"{GATES[gate.name]} {value:.1f} ms, limit {gate.limit_ms:g} ms"
        if gate.name == "response" and metrics:
            unanswered = sum(m.unanswered_utterances for m in metrics)
            if unanswered:
                total = sum(m.utterances for m in metrics)
                passed = False
                detail += f"; {unanswered} of {total} caller utterance(s) unanswered"
        results.append(GateResult(gate.name, gate.limit_ms, value, passed, detail))
    return results


def _worst(name: str, metrics: Sequence[CallMetrics]) -> tuple[float | None, str]:
    """The worst value of gate ``name``'s figure, or ``None`` and why it was not observed
    (``""`` for a gap gate over calls where the app played audio and never ran dry)."""
    if name == "first_audio":
        silent = [i + 1 for i, m in enumerate(metrics) if m.first_audio_ms is None]
        if silent:
            return None, f"no audible app audio in call(s) {_calls(silent)}"
        return max(m.first_audio_ms for m in metrics if m.first_audio_ms is not None), ""
    if name == "response":
        values = [r for m in metrics for r in m.response_ms]
        return (max(values), "") if values else (None, "no response to any caller utterance")
    if name == "barge_in":
        barges = [b for m in metrics for b in m.barge_ins]
        if not barges:
            return None, "no barge-in observed (no caller speech over audible app audio)"
        if any(b.silence_ms is None for b in barges):
            return None, "the app never went silent after a barge-in"
        return max(b.silence_ms for b in barges if b.silence_ms is not None), ""
    values = [g for m in metrics for g in m.gaps_ms]
    if values:
        return max(values), ""
    if not all(m.app_audio_heard for m in metrics):
        return None, "the app played no audio, so gaps were not observed"
    return None, ""


def _calls(numbers: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def build_report(
    run: dict[str, Any], calls: Sequence[CallResult], gates: Sequence[Gate] = ()
) -> Report:
    metrics = [call_metrics(call.log.events) for call in calls]
    return Report(run, list(calls), metrics, evaluate_gates(gates, metrics))
