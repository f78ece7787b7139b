"""``AudioforkPlayout``: the processor that makes the platform's playout, not the output
transport's sending, pipecat's truth about when the bot speaks."""

from __future__ import annotations

import asyncio
from typing import Any

from pipecat.frames.frames import (
    BotSpeakingFrame,
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    Frame,
    OutputAudioRawFrame,
    SpeechOutputAudioRawFrame,
    StartFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from audiofork.errors import ArgumentError
from audiofork.integrations.pipecat._frames import DrainFrame, ReplyEndFrame, UtteranceHeardFrame
from audiofork.integrations.pipecat._serializer import (
    AudioforkSerializer,
    Drain,
    Ended,
    Note,
    ReplyResolved,
    ReplyStarted,
)

__all__ = ["AudioforkPlayout"]


class AudioforkPlayout(FrameProcessor):
    """Place it just before ``transport.output()``, built with the transport's
    :class:`AudioforkSerializer`::

        serializer = AudioforkSerializer(start.stream_id, start.call_id, dialect=dialect)
        params = FastAPIWebsocketParams(..., serializer=serializer)
        transport = FastAPIWebsocketTransport(ws, params)
        pipeline = Pipeline([transport.input(), ..., tts, AudioforkPlayout(serializer),
                             transport.output(), ...])

    What it does to the frames going through:

    - ``TTSAudioRawFrame`` and ``SpeechOutputAudioRawFrame`` go on as plain
      ``OutputAudioRawFrame`` (same audio), so the output transport, which would declare
      the bot speaking from what it has *sent*, declares nothing;
    - after each ``TTSStoppedFrame`` it queues the end of the reply, which the serializer
      writes as a checkpoint (Twilio: a mark) after the reply's last audio.

    What it emits, each both downstream and upstream:

    - ``BotStartedSpeakingFrame`` when the first audio of a reply goes out while the bot
      was silent; ``BotSpeakingFrame`` every ``speaking_period_s`` after, while it speaks;
    - ``BotStoppedSpeakingFrame`` when the platform confirms that the last pending reply
      finished playing (``playedStream``; Twilio's mark echoed), or when an interruption
      cleared it; a reply that follows another before its confirmation keeps the bot
      speaking;
    - :class:`UtteranceHeardFrame` as each reply resolves (``played``, ``cleared``,
      ``closed``), before the ``BotStoppedSpeakingFrame`` it may bring.

    It keeps carrying the serializer's waiting messages out until the serializer ends the
    stream (the output transport takes an ``EndFrame`` after the audio before it); after
    that, or once the pipeline is cleaned up, it emits nothing.
    """

    def __init__(
        self, serializer: AudioforkSerializer, *, speaking_period_s: float = 0.2, **kwargs: Any
    ) -> None:
        if not isinstance(serializer, AudioforkSerializer):
            raise TypeError(f"serializer must be an AudioforkSerializer, got {serializer!r}")
        if not isinstance(speaking_period_s, (int, float)) or isinstance(speaking_period_s, bool):
            raise TypeError(f"speaking_period_s must be a number, got {speaking_period_s!r}")
        if not 0 < speaking_period_s < float("inf"):
            raise ArgumentError(f"speaking_period_s must be positive, got {speaking_period_s!r}")
        super().__init__(**kwargs)
        self._period = float(speaking_period_s)
        self._notes: asyncio.Queue[Note] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._speaking = False
        serializer.listen(self._notes.put_nowait)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        """Pass frames on, TTS audio as plain output audio and a reply end after each
        ``TTSStoppedFrame``; start the emitting task with the pipeline (it ends with the
        serializer's end)."""
        await super().process_frame(frame, direction)
        if direction is FrameDirection.DOWNSTREAM:
            if isinstance(frame, (TTSAudioRawFrame, SpeechOutputAudioRawFrame)):
                frame = _plain(frame)
            elif isinstance(frame, TTSStoppedFrame):
                await self.push_frame(frame, direction)
                frame = ReplyEndFrame()
            elif isinstance(frame, StartFrame):
                await self.push_frame(frame, direction)
                self._task = self.create_task(self._emit())
                return
        await self.push_frame(frame, direction)

    async def cleanup(self) -> None:
        """Stop the emitting task if the serializer never ended the stream."""
        await super().cleanup()
        if self._task is not None:
            task, self._task = self._task, None
            await self.cancel_task(task)

    async def _emit(self) -> None:
        """Turn the serializer's notes into frames, until its end; ``BotSpeakingFrame``
        every period while speaking, however often notes come."""
        loop = asyncio.get_running_loop()
        due = 0.0  # when the next BotSpeakingFrame is due, while speaking
        # One get() at a time, kept across timeouts: a get() cancelled by a timeout could
        # take a note with it (wait_for before Python 3.12).
        getter: asyncio.Task[Note] | None = None
        try:
            while True:
                if self._speaking and loop.time() >= due:
                    due = loop.time() + self._period
                    await self.broadcast_frame(BotSpeakingFrame)
                    continue
                if getter is None:
                    getter = loop.create_task(self._notes.get())
                timeout = due - loop.time() if self._speaking else None
                done, _ = await asyncio.wait({getter}, timeout=timeout)
                if not done:
                    continue
                note, getter = getter.result(), None
                if isinstance(note, Ended):
                    return
                if isinstance(note, ReplyStarted) and not self._speaking:
                    due = loop.time() + self._period
                await self._on_note(note)
        finally:
            if getter is not None:
                getter.cancel()

    async def _on_note(self, note: Any) -> None:
        """The frames one note of the serializer makes."""
        if isinstance(note, Drain):
            await self.push_frame(DrainFrame())
        elif isinstance(note, ReplyStarted):
            if not self._speaking:
                self._speaking = True
                await self.broadcast_frame(BotStartedSpeakingFrame)
        elif isinstance(note, ReplyResolved):
            heard = note.utterance
            await self.broadcast_frame(
                UtteranceHeardFrame,
                utterance_id=heard.id,
                outcome=heard.outcome.value,
                heard_ms=heard.heard_ms,
                duration_ms=heard.duration_ms,
            )
            if note.quiet and self._speaking:
                self._speaking = False
                await self.broadcast_frame(BotStoppedSpeakingFrame)


def _plain(frame: Any) -> Any:
    """``frame``'s audio as an ``OutputAudioRawFrame``, to the same destination."""
    plain = OutputAudioRawFrame(
        audio=frame.audio, sample_rate=frame.sample_rate, num_channels=frame.num_channels
    )
    plain.transport_destination = frame.transport_destination
    plain.interruptible = frame.interruptible
    return plain
