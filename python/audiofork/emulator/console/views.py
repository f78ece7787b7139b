"""What the console's WebSocket sends: JSON-ready snapshots of an account's calls and of one
stream's monitor.

Only what the account may see, and no secret: service and answer URLs are redacted
(:func:`audiofork.vobiz.redact_url`), auth tokens are never included. A stream's view is
incremental: the caller passes the cursors of what it already sent and gets what is new.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audiofork.emulator.calls import Call
from audiofork.emulator.forks import Fork
from audiofork.emulator.monitor import StreamMonitor
from audiofork.vobiz import redact_url

__all__ = ["StreamCursor", "calls_view", "stream_view"]

#: Utterances sent with each stream view (the most recent).
UTTERANCES_SHOWN = 30


def _fork_row(fork: Fork) -> dict[str, Any]:
    stats = fork.driver.stats
    bill = fork.bill()
    monitor = fork.monitor
    return {
        "id": fork.ids[0],
        "stream_id": fork.stream_id,
        "service_url": redact_url(fork.element.url),
        "content_type": fork.element.content_type,
        "tracks": fork.element.audio_track,
        "bidirectional": fork.element.bidirectional,
        "status": fork.status,
        "error": fork.error,
        "frames_to_app": sum(stats.media_sent.values()),
        "frames_from_app": monitor.frames_played,
        "played_ms": round(stats.played_ms),
        "queued_ms": round(monitor.queued_ms),
        "checkpoints": stats.checkpoints_received,
        "acknowledged": stats.checkpoints_acknowledged,
        "bill_duration": bill.bill_duration,
        "billed_amount": bill.billed_amount,
    }


def _call_row(call: Call) -> dict[str, Any]:
    return {
        "call_uuid": call.uuid,
        "from": call.party.from_,
        "to": call.party.to,
        "answer_url": redact_url(call.answer_url),
        "status": call.status,
        "hangup_cause": call.hangup_cause,
        "error": call.error,
        "duration": call.duration(),
        "streams": [_fork_row(fork) for fork in call.forks],
    }


def calls_view(calls: list[Call], limit: int) -> dict[str, Any]:
    """The account's calls, newest first: the live ones, then ended ones up to ``limit``
    rows in all; with the counts of each."""
    live = [call for call in reversed(calls) if call.live]
    ended = [call for call in reversed(calls) if not call.live]
    shown = live + ended[: max(limit - len(live), 0)]
    return {
        "type": "calls",
        "live": len(live),
        "total": len(calls),
        "calls": [_call_row(call) for call in shown],
    }


@dataclass
class StreamCursor:
    """How much of one stream's history a page has been sent."""

    stream: str | None = None  # the stream's first id
    event_seq: int = 0
    frame: int = 0
    utterances: str = ""


def stream_view(monitor: StreamMonitor, cursor: StreamCursor) -> dict[str, Any] | None:
    """What is new in ``monitor`` since ``cursor`` (which it moves on), or ``None`` when
    nothing is. The waveform comes as peaks per frame (caller side, played side), 0 to
    32768; events and utterances as plain values, shown by the page as text."""
    new_frames = monitor.frames - cursor.frame
    wave = list(monitor.wave)[-new_frames:] if new_frames > 0 and monitor.wave else []
    events = [
        {"seq": e.seq, "t": e.t, "kind": e.kind, "text": e.text}
        for e in monitor.events
        if e.seq > cursor.event_seq
    ]
    utterances = [
        {
            "seq": u.seq,
            "start": u.start,
            "end": u.end,
            "queued_ms": round(u.queued_ms),
            "played_ms": round(u.played_ms),
            "cleared_ms": round(u.cleared_ms),
            "outcome": u.outcome,
        }
        for u in list(monitor.utterances)[-UTTERANCES_SHOWN:]
    ]
    utterance_key = repr(utterances)
    if not wave and not events and utterance_key == cursor.utterances and new_frames <= 0:
        return None
    cursor.frame = monitor.frames
    cursor.event_seq = monitor.last_event_seq
    cursor.utterances = utterance_key
    return {
        "type": "stream",
        "id": monitor.first_id,
        "stream_id": monitor.stream_id,
        "call_uuid": monitor.call_uuid,
        "content_type": monitor.content_type,
        "ended": monitor.ended,
        "frame": monitor.frames,
        "queued_ms": round(monitor.queued_ms),
        "wave": wave,
        "events": events,
        "utterances": utterances,
        "counts": dict(monitor.counts),
    }
