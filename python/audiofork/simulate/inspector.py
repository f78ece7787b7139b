"""``audiofork inspect TRACE.jsonl``: one call of a trace as a text timeline and a PNG.

The PNG puts the caller's audio (as sent) above what the caller heard, on one time axis, as
per-frame envelopes (each 20 ms frame's peak), with the app's checkpoints and their
answers, clears, keys, barge-ins, lost frames and dry frames (the app's audio ran out
mid-speech) marked, and the gates in the title: where the app was slow or talked over the
caller shows at a glance. Drawing needs matplotlib (the
``plot`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from audiofork.errors import ValidationError
from audiofork.simulate.metrics import AUDIBLE_RMS
from audiofork.simulate.timeline import timeline
from audiofork.simulate.trace import Trace, read_trace

__all__ = ["draw", "inspect_trace"]

FRAME_S = 0.02


def inspect_trace(path: Path, out: TextIO, *, call: int | None = None, png: Path | None) -> int:
    """Print the timeline of ``call`` (the first by default); draw it into ``png``."""
    trace = read_trace(path)
    if not trace.calls:
        raise ValidationError(f"{path}: the trace holds no calls")
    number = call if call is not None else min(trace.calls)
    if number not in trace.calls:
        raise ValidationError(f"{path}: no call {number} (calls: {sorted(trace.calls)[:20]})")
    records = trace.calls[number]
    run = trace.run
    print(
        f"call {number} of {run.get('url')}: scenario {run.get('scenario')}, "
        f"seed {run.get('seed')}, impairment {run.get('impairment')}",
        file=out,
    )
    for line in timeline(records):
        print(line, file=out)
    for gate in trace.summary.get("gates", []):
        print(
            f"gate {gate['name']}: {'PASS' if gate['passed'] else 'FAIL'} ({gate['detail']})",
            file=out,
        )
    if png is not None:
        try:
            draw(trace, number, png)
        except ImportError:
            print(
                "audiofork inspect: the PNG needs matplotlib: pip install 'audiofork[plot]'",
                file=out,
            )
            return 2
        print(f"wrote {png}", file=out)
    return 0


def _envelope(records: list[dict[str, Any]], kind: str) -> tuple[list[float], list[float]]:
    times, peaks = [], []
    for r in records:
        if r["kind"] == kind and (kind != "sent" or r["track"] == "inbound"):
            times.append((r["t_ms"] / 1000) - FRAME_S)
            peaks.append(r["peak"] / 32768 if kind == "sent" or r["samples"] else 0.0)
    return times, peaks


def _dry_frames(records: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """Empty frames (start, end in s) between two frames of the app's audio: where its
    playout ran dry (the underrun gaps, before the rules that leave pauses out)."""
    spans: list[tuple[float, float]] = []
    pending: list[tuple[float, float]] = []
    seen_audio = False
    for r in records:
        if r["kind"] != "heard":
            continue
        end = r["t_ms"] / 1000
        if r["samples"] > 0:
            spans += pending
            pending = []
            seen_audio = True
        elif seen_audio:
            pending.append((end - FRAME_S, end))
    return spans


def draw(trace: Trace, number: int, png: Path) -> None:
    """Draw call ``number`` of ``trace`` into ``png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = trace.calls[number]
    fig, (caller, played) = plt.subplots(2, 1, sharex=True, figsize=(12, 5.5))
    for axis, kind, color, title in (
        (caller, "sent", "tab:blue", "caller (sent to the app)"),
        (played, "heard", "tab:green", "played (what the caller heard)"),
    ):
        times, peaks = _envelope(records, kind)
        axis.fill_between(times, [-p for p in peaks], peaks, step="post", color=color, lw=0)
        axis.set_ylim(-1.05, 1.05)
        axis.set_ylabel(title, fontsize=8)
        axis.axhline(AUDIBLE_RMS / 32768, color="0.8", lw=0.5)
    marks = {
        "checkpoint": ("tab:olive", ":", "checkpoint"),
        "played_stream": ("tab:olive", "-", "playedStream"),
        "clear": ("tab:red", "-", "clearAudio"),
        "dtmf": ("tab:purple", "--", "DTMF"),
        "barge_in": ("tab:orange", "-", "barge-in"),
    }
    seen: set[str] = set()
    for r in records:
        if r["kind"] in marks:
            color, style, label = marks[r["kind"]]
            t = r["t_ms"] / 1000
            for axis in (caller, played):
                axis.axvline(
                    t,
                    color=color,
                    ls=style,
                    lw=1,
                    label=label if axis is played and label not in seen else None,
                )
            seen.add(label)
            if r["kind"] == "dtmf":
                caller.annotate(r["digit"], (t, 0.9), color=color, fontsize=8)
        elif r["kind"] == "sent" and r.get("lost"):
            caller.axvspan(
                r["t_ms"] / 1000 - FRAME_S,
                r["t_ms"] / 1000,
                color="red",
                alpha=0.3,
                lw=0,
                label="lost frame" if "lost" not in seen else None,
            )
            seen.add("lost")
    for start, end in _dry_frames(records):
        played.axvspan(
            start,
            end,
            color="tab:orange",
            alpha=0.3,
            lw=0,
            label="dry" if "dry" not in seen else None,
        )
        seen.add("dry")
    first = next(
        (r for r in records if r["kind"] == "play_audio" and r["rms"] >= AUDIBLE_RMS), None
    )
    gates = {g["name"]: g for g in trace.summary.get("gates", [])}
    if first is not None:
        t = first["t_ms"] / 1000
        gate = gates.get("first_audio")
        color = "black" if gate is None else ("tab:green" if gate["passed"] else "tab:red")
        played.axvline(t, color=color, lw=2, label=f"first audio {first['t_ms']:.0f} ms")
        if gate is not None:
            played.axvline(
                gate["limit_ms"] / 1000,
                color=color,
                ls="--",
                lw=1,
                label=f"first-audio limit {gate['limit_ms']:g} ms",
            )
    played.legend(loc="upper right", fontsize=7, ncol=5)
    if "lost" in seen:
        caller.legend(loc="upper right", fontsize=7)
    played.set_xlabel("call time (s)")
    gate_text = "  ".join(
        f"{g['name']} {'PASS' if g['passed'] else 'FAIL'}"
        + ("" if g["value_ms"] is None else f" {g['value_ms']:.0f}/{g['limit_ms']:g} ms")
        for g in gates.values()
    )
    run = trace.run
    fig.suptitle(
        f"call {number}: scenario {run.get('scenario')}, seed {run.get('seed')}, "
        f"loss {run.get('impairment', {}).get('loss')}, jitter "
        f"{run.get('impairment', {}).get('jitter_ms')} ms"
        + (f"\n{gate_text}" if gate_text else ""),
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
