"""The types of the session's API beyond the wire events: the PCM :meth:`~StreamSession.play`
takes, and the events it adds to the platform's (a checkpoint or an utterance resolved, the stream
closed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from audiofork.session._state import CheckpointOutcome, CloseReason, PlatformEvent
from audiofork.session._utterances import UtteranceResolved

__all__ = ["CheckpointResolved", "Pcm", "SessionEvent", "StreamClosed"]

#: PCM :meth:`StreamSession.play` takes: int16/float32/float64 arrays, little-endian int16 bytes.
Pcm: TypeAlias = npt.NDArray[np.int16 | np.float32 | np.float64] | bytes | bytearray | memoryview


@dataclass(frozen=True, slots=True)
class CheckpointResolved:
    """A checkpoint left the pending set.

    ``played_ms`` is the playback position (ms since the stream started) it resolved at: the
    checkpoint's own position when played, the heard estimate when cleared or closed.
    """

    name: str
    outcome: CheckpointOutcome
    played_ms: float


@dataclass(frozen=True, slots=True)
class StreamClosed:
    """The stream ended; always the last event of a session."""

    reason: CloseReason


#: Everything :meth:`StreamSession.receive` and the closing calls return.
SessionEvent: TypeAlias = PlatformEvent | CheckpointResolved | UtteranceResolved | StreamClosed
