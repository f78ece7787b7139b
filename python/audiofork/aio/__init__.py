"""``AudioStream``: a :class:`~audiofork.session.StreamSession` driven over an asyncio WebSocket.

::

    async with AudioStream(websocket) as stream:
        async for event in stream:
            if isinstance(event, Media):
                await stream.play(event.pcm, 16000)

The parts, one job each: ``_inbox`` (events not taken yet, audio sinks, checkpoint futures,
wake-ups), ``_reader`` (socket to session to inbox), ``_sender`` (session outbox to socket,
cancellation-safe), ``_chunks`` (:class:`AudioChunks`), ``_speech`` (:class:`Utterance`
and the task that plays them) and ``_stream`` (:class:`AudioStream`, the commands).
:mod:`audiofork.adapters` holds one transport per WebSocket library.
"""

from __future__ import annotations

from audiofork.aio._chunks import AudioChunks
from audiofork.aio._inbox import DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_EVENTS
from audiofork.aio._speech import Utterance
from audiofork.aio._stream import AudioStream

__all__ = [
    "DEFAULT_MAX_EVENTS",
    "DEFAULT_MAX_EVENT_BYTES",
    "AudioChunks",
    "AudioStream",
    "Utterance",
]
