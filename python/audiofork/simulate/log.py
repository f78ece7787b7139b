"""The timestamped event log of one simulated call: everything the metrics, the report, the
trace and the inspector are derived from.

Times are milliseconds of *call time* since the platform's ``start`` was queued: at
``--speed N`` one real millisecond is N ms of call time. Frame ``k`` of the caller's audio
covers ``[20k, 20k + 20)`` and is sent at its end; what the caller heard in frame ``k`` is
logged at the same boundary. App messages are logged when they arrive.

Event kinds and their fields:

- ``start``: ``stream_id``, ``content_type``, ``rate``, ``tracks``;
- ``sent``: a caller media frame: ``frame``, ``track``, ``rms``, ``peak``, ``lost`` (the
  impairment never sent it), ``deliver_ms`` (when it is handed to the socket), ``hash``;
- ``heard``: ``frame``, ``samples`` (app samples played in it), ``rms``, ``peak``,
  ``queued_ms`` (app audio still waiting), ``late_ms`` (our own pacing lateness, real ms);
- ``play_audio``: ``ms``, ``content_type``, ``bytes``, ``rms``, ``queued_ms``, ``hash``;
- ``checkpoint`` (the app's, ``name``), ``played_stream`` (its answer queued, ``name``;
  ``cleared``: Twilio echoed it at a clear, unplayed),
  ``clear`` (``cleared_ms``), ``cleared_audio`` (its answer queued), ``app_stop``;
- ``bad`` and ``degraded``: ``refused`` (the kind of refusal), ``detail``;
- ``dtmf``: ``digit``;
- ``step``: ``index``, ``step``, ``status``, ``detail``;
- ``end``: ``reason``, ``error``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_EVENTS", "Event", "EventLog", "level", "payload_hash"]

Pcm = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, at ``t_ms`` of call time."""

    t_ms: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"t_ms": round(self.t_ms, 3), "kind": self.kind, **self.data}


#: Events a call's log keeps by default (a 600 s call logs about 60 000).
MAX_EVENTS = 250_000


class EventLog:
    """Events in the order they happened; ``clock`` gives the call time in ms. At most
    ``max_events`` are kept: later ones are counted in :attr:`dropped`, and the listeners
    still see every event."""

    def __init__(self, clock: Callable[[], float], max_events: int = MAX_EVENTS) -> None:
        self._clock = clock
        self.max_events = max_events
        self.events: list[Event] = []
        self.dropped = 0
        self.listeners: list[Callable[[Event], None]] = []

    def now(self) -> float:
        return self._clock()

    def add(self, kind: str, t_ms: float | None = None, /, **data: Any) -> Event:
        event = Event(self._clock() if t_ms is None else t_ms, kind, data)
        if len(self.events) < self.max_events:
            self.events.append(event)
        else:
            self.dropped += 1
        for listener in self.listeners:
            listener(event)
        return event

    def of(self, *kinds: str) -> Iterator[Event]:
        """The events of the given kinds, in order."""
        return (event for event in self.events if event.kind in kinds)

    def __len__(self) -> int:
        return len(self.events)


def level(pcm: Pcm) -> tuple[float, int]:
    """``(rms, peak)`` of int16 samples (0 for none)."""
    if len(pcm) == 0:
        return 0.0, 0
    wide = pcm.astype(np.float64)
    peak = max(int(pcm.max()), -int(pcm.min()))
    return float(np.sqrt(np.dot(wide, wide) / len(wide))), peak


def payload_hash(data: bytes | str) -> str:
    """A short, stable digest of a payload (the trace carries it instead of the audio)."""
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.blake2b(raw, digest_size=8).hexdigest()
