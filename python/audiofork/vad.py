"""``EnergyVad``: a small energy-based speech detector, enough for barge-in.

It watches the level the core computes for each inbound frame (:attr:`Media.level_dbfs`,
no extra pass over the samples) and says when speech starts and ends::

    vad = EnergyVad()
    async for event in stream:
        if isinstance(event, Media) and event.track == "inbound":
            change = vad.update(event.level_dbfs)
            if change is VadEvent.SPEECH_STARTED:
                await stream.interrupt()

Speech starts once the level stays at or above ``threshold_dbfs`` for ``attack_ms`` (a
click or a cough shorter than that is ignored), and ends once it stays below for
``hangover_ms`` (the pauses between words do not end it). Loud noise is speech to it, and
quiet speech on a noisy line is not: a model-based detector does better (see the docs on
plugging one in), at a cost per frame this one does not have.
"""

from __future__ import annotations

import math
from enum import Enum

from audiofork._checks import check_int
from audiofork.errors import ArgumentError

__all__ = ["EnergyVad", "VadEvent"]


class VadEvent(str, Enum):
    """A change :meth:`EnergyVad.update` reports."""

    SPEECH_STARTED = "speech_started"
    SPEECH_ENDED = "speech_ended"


class EnergyVad:
    """Speech detection by level, with an attack and a hangover.

    Args:
        threshold_dbfs: frames at or above this level count as speech. -40 dBFS suits a
            phone line (its silence is about -60 to -50 dBFS, speech about -30 to -15).
        attack_ms: speech must last this long before it starts.
        hangover_ms: silence must last this long before speech ends.
    """

    __slots__ = ("_above_ms", "_below_ms", "attack_ms", "hangover_ms", "speaking", "threshold_dbfs")

    def __init__(
        self, threshold_dbfs: float = -40.0, attack_ms: int = 60, hangover_ms: int = 500
    ) -> None:
        if isinstance(threshold_dbfs, bool) or not isinstance(threshold_dbfs, (int, float)):
            raise TypeError(f"threshold_dbfs must be a number, got {threshold_dbfs!r}")
        if not math.isfinite(threshold_dbfs) or threshold_dbfs > 0:
            raise ArgumentError(f"threshold_dbfs must be finite and <= 0, got {threshold_dbfs!r}")
        check_int("attack_ms", attack_ms, 0)
        check_int("hangover_ms", hangover_ms, 0)
        self.threshold_dbfs = float(threshold_dbfs)
        self.attack_ms = attack_ms
        self.hangover_ms = hangover_ms
        #: Speech has started and not ended.
        self.speaking = False
        self._above_ms = 0.0  # speech heard in a row
        self._below_ms = 0.0  # silence heard in a row

    def update(self, level_dbfs: float | None, frame_ms: float = 20.0) -> VadEvent | None:
        """Take one frame's level (``frame_ms`` long); the change it makes, if any.

        ``TypeError`` for ``None`` (a :class:`Media` from ``parse_message``, which has no
        samples: use the stream's events, which do).
        """
        if level_dbfs is None:
            raise TypeError("level_dbfs is None: the frame was not decoded (no samples)")
        if level_dbfs >= self.threshold_dbfs:
            self._above_ms += frame_ms
            self._below_ms = 0.0
            if not self.speaking and self._above_ms >= self.attack_ms:
                self.speaking = True
                return VadEvent.SPEECH_STARTED
        else:
            self._below_ms += frame_ms
            self._above_ms = 0.0
            if self.speaking and self._below_ms >= self.hangover_ms:
                self.speaking = False
                return VadEvent.SPEECH_ENDED
        return None

    def reset(self) -> None:
        """Forget what was heard (no speech)."""
        self.speaking = False
        self._above_ms = self._below_ms = 0.0
