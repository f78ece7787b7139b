"""``StreamSession``: one audio stream's protocol state, without I/O (like h11 or wsproto).

Feed each WebSocket message the platform sends to :meth:`StreamSession.receive` and act on
the events it returns; call :meth:`~StreamSession.play`, :meth:`~StreamSession.checkpoint`,
:meth:`~StreamSession.clear` and friends to speak, then send every string
:meth:`~StreamSession.data_to_send` returns, in order. The session never touches a socket or
an event loop; time comes from the injected ``clock``.

It knows what the caller actually heard: audio queued (sent or about to be), audio confirmed
played by ``playedStream``, and an estimate in between (:meth:`~StreamSession.heard_ms`).
Every checkpoint resolves exactly once, as ``played``, ``cleared`` or ``closed``; so does
every utterance (:meth:`~StreamSession.begin_utterance`), with how much of its own audio was
heard.

The parts, one job each: ``_state`` (states, transition table, what each state allows),
``_prestart`` (what is kept before ``start``), ``_outbox`` (messages to send, audio held
after a clear), ``_playback`` (the timeline), ``_utterances`` (which stretch of the timeline
is which reply), ``_echoes`` (the marks a Twilio clear dropped, whose echoes must stay
``cleared``), ``_session`` (the class that hands off to them). The session speaks each
:class:`~audiofork.Dialect` (``docs/dialects.md``).
"""

from __future__ import annotations

from audiofork.session._outbox import HOLD_AFTER_CLEAR_S
from audiofork.session._prestart import MAX_EARLY_MEDIA, MAX_EARLY_MEDIA_BYTES
from audiofork.session._session import StreamSession
from audiofork.session._state import CheckpointOutcome, CloseReason, StreamState
from audiofork.session._types import CheckpointResolved, Pcm, SessionEvent, StreamClosed
from audiofork.session._utterances import (
    UtteranceResolved,
    UtteranceState,
    Words,
    check_words,
    heard_text,
)

__all__ = [
    "HOLD_AFTER_CLEAR_S",
    "MAX_EARLY_MEDIA",
    "MAX_EARLY_MEDIA_BYTES",
    "CheckpointOutcome",
    "CheckpointResolved",
    "CloseReason",
    "Pcm",
    "SessionEvent",
    "StreamClosed",
    "StreamSession",
    "StreamState",
    "UtteranceResolved",
    "UtteranceState",
    "Words",
    "check_words",
    "heard_text",
]
