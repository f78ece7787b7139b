"""Figures derived after a call from its event log (:mod:`audiofork.simulate.log`).

All times are ms of call time. A figure that was not observed is ``None``, never 0; a
summary gives percentiles only with enough samples (:data:`MIN_FOR`).

- **first audio**: from the platform's ``start`` to the first audible ``playAudio``.
- **response**: for each caller utterance, from its end (the boundary of its last voiced
  frame: when the app can first know) to the start of the app's next reply, if one comes
  before the caller's next utterance starts. A *reply* is an audible ``playAudio`` that
  starts a new playout: the app's audible audio queued before it had run out at least
  :data:`QUIET_MS` earlier, or a ``clearAudio`` came since. Audio the app was already
  sending answers nothing, so an app that talks on regardless leaves utterances unanswered.
- **barge-in**, for each utterance that starts while app audio is audible in the caller's
  loudspeaker: *reaction* (onset → the app's ``clearAudio``), *time to silence* (onset →
  the end of the last audible frame the caller heard before the app went quiet for
  :data:`QUIET_MS`) and *heard* (what the caller heard of the interrupted reply: from its
  start, after :data:`QUIET_MS` of quiet, to that silence).
- **checkpoint turnaround**: the app's ``checkpoint`` → the platform's ``playedStream``.
- **run-ahead**: audio the app had queued ahead of real time, after each ``playAudio``.
- **gaps** (underruns): stretches where the caller's loudspeaker ran dry inside a reply,
  between two frames of app audio. A stretch is a deliberate pause, not an underrun, when a
  checkpoint of the app's was reached at its start or in it (the ``playedStream`` marks the
  end of what the app meant to say), or a ``clearAudio``, a caller's key or the end of a caller
  utterance falls in it, or it is longer than :data:`MAX_GAP_MS`. (An app that sends no
  checkpoints has only the other marks to tell its pauses by.)
- **conformance**: ``playAudio`` count, formats, chunks that are not whole 20 ms frames,
  refused messages by kind.
- **pacing lateness**: how late our own frame boundaries were (real ms), so a slow
  measurement can be told from a slow app.

Caller utterances come from the caller's frames as sent: runs of frames at or above
:data:`AUDIBLE_RMS`, joined across pauses shorter than :data:`UTTERANCE_GAP_MS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from audiofork.simulate.log import Event

__all__ = [
    "AUDIBLE_RMS",
    "MIN_FOR",
    "BargeIn",
    "CallMetrics",
    "Summary",
    "call_metrics",
    "summarize",
    "utterances",
]

FRAME_MS = 20.0
#: Frames at or above this RMS (int16) count as audible: speech, not silence or line noise.
AUDIBLE_RMS = 150.0
UTTERANCE_GAP_MS = 400.0
QUIET_MS = 200.0
MAX_GAP_MS = 2000.0
#: The fewest samples each percentile is given for.
MIN_FOR = {"p50": 5, "p90": 10, "p99": 100}


@dataclass(frozen=True)
class Summary:
    """A list of figures summed up; ``None`` where not observed or too few samples."""

    n: int
    mean: float | None = None
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    max: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: (None if v is None else round(v, 1)) for k, v in asdict(self).items()}


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(values: Iterable[float]) -> Summary:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return Summary(0)
    pick = {
        name: _percentile(ordered, float(name[1:])) if n >= k else None
        for name, k in MIN_FOR.items()
    }
    return Summary(n, sum(ordered) / n, pick["p50"], pick["p90"], pick["p99"], ordered[-1])


@dataclass(frozen=True)
class BargeIn:
    onset_ms: float
    reaction_ms: float | None  # onset → clearAudio
    silence_ms: float | None  # onset → last audible app audio heard
    heard_ms: float  # the interrupted reply as heard: from its start to the silence (or end)


@dataclass
class CallMetrics:
    """One call's figures (see the module doc)."""

    first_audio_ms: float | None = None
    response_ms: list[float] = field(default_factory=list)
    utterances: int = 0
    unanswered_utterances: int = 0
    barge_ins: list[BargeIn] = field(default_factory=list)
    checkpoint_turnaround_ms: list[float] = field(default_factory=list)
    checkpoints_unanswered: int = 0
    run_ahead_ms: list[float] = field(default_factory=list)
    gaps_ms: list[float] = field(default_factory=list)
    app_audio_heard: bool = False
    play_audio: int = 0
    play_audio_ms: float = 0.0
    formats: dict[str, int] = field(default_factory=dict)
    off_frame_chunks: int = 0
    bad_messages: dict[str, int] = field(default_factory=dict)
    frames_sent: int = 0
    frames_lost: int = 0
    caller_audio_ms: float = 0.0
    pacing_late_ms: list[float] = field(default_factory=list)


def utterances(events: Sequence[Event]) -> list[tuple[float, float]]:
    """The caller's utterances as ``(onset_ms, end_ms)``, from the inbound frames sent."""
    spans: list[tuple[float, float]] = []
    for event in events:
        if event.kind != "sent" or event.data["track"] != "inbound":
            continue
        if event.data["rms"] < AUDIBLE_RMS:
            continue
        start, end = event.t_ms - FRAME_MS, event.t_ms
        if spans and start - spans[-1][1] < UTTERANCE_GAP_MS:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def call_metrics(events: Sequence[Event]) -> CallMetrics:
    """The figures of one call's log."""
    m = CallMetrics()
    rate = next((e.data["rate"] for e in events if e.kind == "start"), 8000)
    frame_samples = round(rate * FRAME_MS / 1000)
    replies = _reply_starts(events)
    if replies:
        m.first_audio_ms = replies[0]
    spans = utterances(events)
    m.utterances = len(spans)
    clears = [e.t_ms for e in events if e.kind == "clear"]
    heard = [e for e in events if e.kind == "heard"]
    for i, (onset, end) in enumerate(spans):
        following = spans[i + 1][0] if i + 1 < len(spans) else math.inf
        reply = next((t for t in replies if t > end), None)
        if reply is not None and reply < following:
            m.response_ms.append(reply - end)
        else:
            m.unanswered_utterances += 1
        barge = _barge_in(onset, following, heard, clears, rate)
        if barge is not None:
            m.barge_ins.append(barge)
    _checkpoints(events, m)
    pauses = [e.t_ms for e in events if e.kind in ("clear", "dtmf")]
    pauses += [end for _, end in spans]
    reached = [e.t_ms for e in events if e.kind == "played_stream"]
    _gaps(heard, pauses, reached, frame_samples, rate, m)
    for e in events:
        if e.kind == "play_audio":
            m.play_audio += 1
            m.play_audio_ms += e.data["ms"]
            m.run_ahead_ms.append(e.data["queued_ms"])
            fmt = e.data["content_type"]
            m.formats[fmt] = m.formats.get(fmt, 0) + 1
            chunk = e.data["ms"] / FRAME_MS
            if abs(chunk - round(chunk)) > 1e-3 or round(chunk) == 0:
                m.off_frame_chunks += 1
        elif e.kind == "bad":
            m.bad_messages[e.data["refused"]] = m.bad_messages.get(e.data["refused"], 0) + 1
        elif e.kind == "sent" and e.data["track"] == "inbound":
            m.frames_sent += 1
            m.frames_lost += bool(e.data["lost"])
            m.caller_audio_ms += FRAME_MS
        elif e.kind == "heard":
            m.pacing_late_ms.append(e.data["late_ms"])
            m.app_audio_heard |= e.data["samples"] > 0
    return m


def _reply_starts(events: Sequence[Event]) -> list[float]:
    """When each of the app's replies started: the audible ``playAudio`` messages that
    began a new playout (see the module doc)."""
    starts: list[float] = []
    audible_until = -math.inf  # when the audible audio queued so far runs out
    for e in events:
        if e.kind == "clear":
            audible_until = -math.inf
        elif e.kind == "play_audio" and e.data["rms"] >= AUDIBLE_RMS:
            if e.t_ms >= audible_until + QUIET_MS:
                starts.append(e.t_ms)
            audible_until = max(audible_until, e.t_ms + e.data["queued_ms"])
    return starts


def _audible(event: Event) -> bool:
    return bool(event.data["samples"] > 0 and event.data["rms"] >= AUDIBLE_RMS)


def _barge_in(
    onset: float, following: float, heard: Sequence[Event], clears: Sequence[float], rate: int
) -> BargeIn | None:
    """The barge-in starting at ``onset``, if app audio was audible then."""
    around = [e for e in heard if onset <= e.t_ms <= onset + FRAME_MS]
    if not any(_audible(e) for e in around):
        return None
    reaction = next((t - onset for t in clears if onset <= t < following), None)
    quiet_frames = round(QUIET_MS / FRAME_MS)
    before = [e for e in heard if e.t_ms <= onset]
    after = [e for e in heard if e.t_ms > onset]
    reply = len(before)  # the interrupted reply: back to QUIET_MS of quiet before the onset
    quiet_run = 0
    for index in range(len(before) - 1, -1, -1):
        if _audible(before[index]):
            reply, quiet_run = index, 0
        else:
            quiet_run += 1
            if quiet_run >= quiet_frames:
                break
    heard_before = sum(e.data["samples"] for e in before[reply:])
    last_audible = onset
    quiet_run = running = until_last = 0
    silence: float | None = None
    for e in after:
        running += e.data["samples"]
        if _audible(e):
            last_audible, until_last, quiet_run = e.t_ms, running, 0
        else:
            quiet_run += 1
            if quiet_run >= quiet_frames:
                silence = last_audible - onset
                break
    heard_after = until_last if silence is not None else running
    return BargeIn(onset, reaction, silence, (heard_before + heard_after) * 1000 / rate)


def _checkpoints(events: Sequence[Event], m: CallMetrics) -> None:
    waiting: dict[str, list[float]] = {}
    for e in events:
        if e.kind == "checkpoint":
            waiting.setdefault(e.data["name"], []).append(e.t_ms)
        elif e.kind == "played_stream" and waiting.get(e.data["name"]):
            sent = waiting[e.data["name"]].pop(0)
            if not e.data.get("cleared"):  # a mark Twilio echoed at a clear was not played
                m.checkpoint_turnaround_ms.append(e.t_ms - sent)
    m.checkpoints_unanswered = sum(len(v) for v in waiting.values())


def _gaps(
    heard: Sequence[Event],
    pauses: Sequence[float],
    reached: Sequence[float],
    frame_samples: int,
    rate: int,
    m: CallMetrics,
) -> None:
    """Underruns inside a reply (see the module doc): ``pauses`` are the times that make a
    dry stretch deliberate when they fall in it, ``reached`` the checkpoints reached, which
    do from a frame before it on (a checkpoint is reached as the audio before it ends).
    App audio plays from a frame boundary on, so a frame is dry only at its end: a gap
    starts where a frame's audio ran out and ends at the next frame with audio."""
    gap_start: float | None = None
    missing = 0
    seen_audio = False
    for e in heard:
        samples = e.data["samples"]
        frame_start = e.t_ms - FRAME_MS
        if gap_start is not None and samples > 0:
            gap_ms = missing * 1000 / rate
            deliberate = any(gap_start <= t <= frame_start for t in pauses) or any(
                gap_start - FRAME_MS <= t <= frame_start for t in reached
            )
            if gap_ms <= MAX_GAP_MS and not deliberate:
                m.gaps_ms.append(gap_ms)
            gap_start, missing = None, 0
        seen_audio |= samples > 0
        if seen_audio and samples < frame_samples:
            if gap_start is None:
                gap_start = frame_start + samples * 1000 / rate
            missing += frame_samples - samples
