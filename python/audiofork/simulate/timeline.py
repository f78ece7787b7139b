"""Events as lines for people: the ``-v`` event log and ``audiofork inspect``'s timeline.

Per-frame events (``sent``, ``heard``) are folded: only the changes a person looks for are
shown (a lost frame, the caller starting or stopping to talk, the app's audio starting or
stopping in the loudspeaker).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from audiofork.simulate.metrics import AUDIBLE_RMS

__all__ = ["describe", "timeline"]


def describe(kind: str, data: dict[str, Any]) -> str | None:
    """One event as words (``None`` for per-frame events, which :func:`timeline` folds)."""
    if kind == "start":
        return f"start {data['stream_id']} ({data['content_type']}, tracks {data['tracks']})"
    if kind == "play_audio":
        return (
            f"app playAudio {data['ms']:.0f} ms {data['content_type']} rms {data['rms']:.0f}, "
            f"queued {data['queued_ms']:.0f} ms"
        )
    if kind == "checkpoint":
        return f"app checkpoint {data['name']!r}"
    if kind == "played_stream":
        echoed = " (echoed at a clear)" if data.get("cleared") else ""
        return f"platform playedStream {data['name']!r}{echoed}"
    if kind == "clear":
        return f"app clearAudio ({data['cleared_ms']:.0f} ms dropped)"
    if kind == "cleared_audio":
        return "platform clearedAudio"
    if kind == "app_stop":
        return "app stop"
    if kind in ("bad", "degraded"):
        return f"{kind} {data['refused']}: {data['detail']}"
    if kind == "dtmf":
        return f"caller key {data['digit']}"
    if kind == "barge_in":
        return f"caller barges in with {data['clip']}"
    if kind == "step":
        return f"step {data['index']} {data['step']}: {data['status']} {data['detail']}".rstrip()
    if kind == "closed":
        return "socket closed " + ", ".join(f"{k} {v}" for k, v in data.items())
    if kind == "end":
        return f"end: {data['reason']}" + (f" ({data['error']})" if data.get("error") else "")
    return None


def timeline(events: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Lines ``"   1234.5 ms  what"`` for trace records (``t_ms``, ``kind`` and fields), in
    time order. Per-frame records are folded into changes, and a run of ``playAudio`` with
    nothing else between into its first message and a count."""
    lines: list[tuple[float, str]] = []
    talking = playing = False
    run: list[dict[str, Any]] = []

    def close_run() -> None:
        if len(run) > 1:
            ms = sum(r["ms"] for r in run[1:])
            lines.append((run[-1]["t_ms"], f"… {len(run) - 1} more playAudio ({ms:.0f} ms)"))
        run.clear()

    for record in events:
        kind, t = record["kind"], record["t_ms"]
        if kind == "sent":
            if record.get("lost"):
                lines.append((t, f"frame {record['frame']} ({record['track']}) lost"))
            if record["track"] == "inbound" and (record["rms"] >= AUDIBLE_RMS) != talking:
                talking = not talking
                lines.append((t - 20, f"caller {'starts' if talking else 'stops'} talking"))
            continue
        if kind == "heard":
            audible = record["samples"] > 0 and record["rms"] >= AUDIBLE_RMS
            if audible != playing:
                playing = audible
                lines.append((t - 20, f"app audio {'heard' if audible else 'stops'}"))
            continue
        text = describe(kind, record)
        if text is None:
            continue
        if kind == "play_audio":
            if run:
                run.append(record)
                continue
            run.append(record)
        else:
            close_run()
        lines.append((t, text))
    close_run()
    lines.sort(key=lambda line: line[0])
    for t, text in lines:
        yield f"{t:9.1f} ms  {text}"
