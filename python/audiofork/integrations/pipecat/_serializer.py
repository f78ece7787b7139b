"""``AudioforkSerializer``: pipecat frames to and from one telephony media stream, through a
:class:`~audiofork.session.StreamSession` (one core call per frame each way)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.frames.frames import (
    AudioRawFrame,
    CancelFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputTransportMessageFrame,
    OutputTransportMessageUrgentFrame,
)
from pipecat.processors.frame_processor import FrameProcessorSetup
from pipecat.serializers.base_serializer import FrameSerializer

from audiofork import wire
from audiofork._checks import check_int
from audiofork.dialects import Dialect, check_dialect
from audiofork.errors import ArgumentError, StreamStateError
from audiofork.events import Dtmf, Media
from audiofork.formats import MediaFormat
from audiofork.integrations.pipecat._frames import DrainFrame, ReplyEndFrame
from audiofork.session import StreamSession, UtteranceResolved

__all__ = ["AudioforkSerializer", "Drain", "Ended", "Note", "ReplyResolved", "ReplyStarted"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplyStarted:
    """The first audio of a reply went out while no other reply was pending."""


@dataclass(frozen=True, slots=True)
class ReplyResolved:
    """A reply resolved; ``quiet`` when no other reply is pending (the bot is silent)."""

    utterance: UtteranceResolved
    quiet: bool


@dataclass(frozen=True, slots=True)
class Drain:
    """Messages wait that no frame has carried out yet."""


@dataclass(frozen=True, slots=True)
class Ended:
    """The stream ended: its last message went out; no note follows."""


#: What the serializer tells its listener (:class:`AudioforkPlayout`).
Note: TypeAlias = ReplyStarted | ReplyResolved | Drain | Ended

#: pipecat's output chunk: ``audio_out_10ms_chunks`` (default 4) times 10 ms.
PIPECAT_CHUNK_MS = 40


class AudioforkSerializer(FrameSerializer):
    """A pipecat ``FrameSerializer`` for Vobiz, Plivo and Twilio media streams.

    ``stream_id`` and ``call_id`` come from the platform's ``start`` (:func:`read_start`
    reads it, as pipecat's own serializers expect the app to); with ``stream_id=None`` the
    serializer reads ``start`` itself when the transport delivers it. ``media_format`` is
    the stream's (``start.media_format``; μ-law at 8 kHz when left out, Twilio's only one).

    Each inbound message is one :meth:`StreamSession.receive` (parse, base64, G.711 or L16,
    resampling to the pipeline's input rate, in the core); each output audio frame one
    :meth:`StreamSession.play`, written as one wire message when it is one
    ``frame_ms`` chunk (pipecat's output transport cuts audio into ``audio_out_10ms_chunks``
    times 10 ms, 40 ms by default: set ``frame_ms`` to match).

    It needs its :class:`AudioforkPlayout` in the pipeline (``setup()`` raises
    ``StreamStateError`` without one): a frame can make more than one wire message, and
    the playout carries out the rest. Each reply ends with a checkpoint
    (Twilio: a mark) and the platform's answer says when the caller heard its end. On an
    ``InterruptionFrame`` it sends the clear (``clearAudio``; Twilio ``clear``) and
    resolves the pending replies as cleared with what was heard; with no reply pending
    (pipecat interrupts at every user turn) everything sent has played and it sends nothing.

    On ``EndFrame`` or ``CancelFrame`` it ends the stream once: ``stop`` on Vobiz and Plivo
    (Twilio has no app ``stop``: the transport's close ends it); audio still waiting then
    is dropped (it could only follow the ``stop``). After the ``stop`` is returned it runs
    ``hang_up()`` when given (e.g. a REST call that ends the call) and ``auto_hang_up``
    holds, as a task that :meth:`cleanup` awaits; its error is logged. Output audio after
    the end, or after the platform's ``stop``, gives no message.

    A message from the network the core refuses raises its :class:`~audiofork.ProtocolError`
    out of :meth:`deserialize` (pipecat's input transport logs it and stops reading that
    socket); digits pipecat has no ``KeypadEntry`` for (``A``-``D``) give no frame.
    """

    def __init__(
        self,
        stream_id: str | None,
        call_id: str | None = None,
        *,
        dialect: Dialect | str = Dialect.VOBIZ,
        media_format: MediaFormat | None = None,
        sample_rate: int | None = None,
        frame_ms: int = PIPECAT_CHUNK_MS,
        auto_hang_up: bool = True,
        hang_up: Callable[[], Awaitable[None]] | None = None,
        params: FrameSerializer.InputParams | None = None,
    ) -> None:
        super().__init__(params)
        checked = check_dialect(dialect)
        if checked is None:
            raise ArgumentError("dialect must be given: vobiz, plivo or twilio")
        if stream_id is not None and not isinstance(stream_id, str):
            raise TypeError(f"stream_id must be a str or None, got {stream_id!r}")
        if stream_id == "":
            raise ArgumentError("stream_id must be non-empty or None, got ''")
        if call_id is not None and not isinstance(call_id, str):
            raise TypeError(f"call_id must be a str or None, got {call_id!r}")
        if not isinstance(auto_hang_up, bool):
            raise TypeError(f"auto_hang_up must be a bool, got {auto_hang_up!r}")
        if media_format is not None and not isinstance(media_format, MediaFormat):
            raise TypeError(f"media_format must be a MediaFormat or None, got {media_format!r}")
        if sample_rate is not None:
            check_int("sample_rate", sample_rate, 1)
        check_int("frame_ms", frame_ms, 1)
        if hang_up is not None and not callable(hang_up):
            raise TypeError(f"hang_up must be an async callable or None, got {hang_up!r}")
        self.dialect = checked
        self.stream_id = stream_id
        self.call_id = call_id
        self._media_format = media_format or MediaFormat("audio/x-mulaw", 8000)
        self._sample_rate = sample_rate
        self._frame_ms = frame_ms
        self._auto_hang_up = auto_hang_up
        self._hang_up = hang_up
        self._session: StreamSession | None = None
        self._app_rate = 0
        self._waiting: deque[str] = deque()  # built, not yet returned to the transport
        self._reply: str | None = None  # the open reply's id
        self._replies = 0
        self._ended = False
        self._listener: Callable[[Note], None] | None = None
        self._hanging_up: asyncio.Task[None] | None = None

    # --- pipecat's FrameSerializer ------------------------------------------------------

    async def setup(self, setup: FrameProcessorSetup) -> None:
        """Build the stream's session at the pipeline's input rate (both transports call
        this; the first call builds it). ``StreamStateError`` without an
        :class:`AudioforkPlayout`."""
        if self._session is not None:
            return
        if self._listener is None:
            raise StreamStateError(
                "the serializer needs an AudioforkPlayout(serializer) before transport.output()"
            )
        self._app_rate = self._sample_rate or setup.audio_in_sample_rate
        session = StreamSession(self._app_rate, frame_ms=self._frame_ms, dialect=self.dialect)
        if self.stream_id is not None:
            start = wire.start(
                self.stream_id, self._media_format, call_id=self.call_id or "", dialect=self.dialect
            )
            session.receive(start)
        self._session = session

    async def serialize(self, frame: Frame) -> str | bytes | None:
        """The wire message for ``frame``, or ``None``."""
        if isinstance(frame, AudioRawFrame):  # the hot path: pipecat's output audio
            return self._play(frame)
        if isinstance(frame, DrainFrame):
            return self._next()
        if isinstance(frame, ReplyEndFrame):
            return self._end_reply()
        if isinstance(frame, InterruptionFrame):
            return self._clear()
        if isinstance(frame, (EndFrame, CancelFrame)):
            return self._end()
        if isinstance(frame, (OutputTransportMessageFrame, OutputTransportMessageUrgentFrame)):
            return None if self.should_ignore_frame(frame) else json.dumps(frame.message)
        return None

    async def deserialize(self, data: str | bytes) -> Frame | None:
        """The pipecat frame for one platform message: ``InputAudioRawFrame`` for inbound
        ``media``, ``InputDTMFFrame`` for ``dtmf``, else ``None`` (confirmations go to the
        listener). ``ProtocolError`` for a message the core refuses."""
        events = self._started().receive(data)
        frame: Frame | None = None
        for event in events:
            if type(event) is Media:
                pcm = event.pcm
                if event.track == "inbound" and pcm is not None:
                    frame = InputAudioRawFrame(
                        audio=pcm.tobytes(), sample_rate=self._app_rate, num_channels=1
                    )
            elif type(event) is Dtmf:
                digit = event.digit
                if digit in _KEYS:
                    frame = InputDTMFFrame(KeypadEntry(digit))
            elif type(event) is UtteranceResolved:
                self._resolved(event)
        if self.stream_id is None and self._session is not None:
            self.stream_id = self._session.stream_id
        return frame

    async def cleanup(self) -> None:
        """Await the ``hang_up()`` the end started (its error is logged)."""
        await super().cleanup()
        task, self._hanging_up = self._hanging_up, None
        if task is not None:
            await task

    # --- for AudioforkPlayout -----------------------------------------------------------

    def listen(self, listener: Callable[[Note], None]) -> None:
        """Send the serializer's :data:`Note` s to ``listener`` (one listener: the
        :class:`AudioforkPlayout` built with this serializer)."""
        if self._listener is not None:
            raise StreamStateError("this serializer already has an AudioforkPlayout")
        self._listener = listener

    @property
    def session(self) -> StreamSession:
        """The stream's session (after pipecat's setup): ``heard_ms()``, ``stats`` and the
        pending replies."""
        return self._started()

    # --- the work -----------------------------------------------------------------------

    def _started(self) -> StreamSession:
        session = self._session
        if session is None:
            raise StreamStateError("the serializer is not set up: pipecat's setup() comes first")
        return session

    def _play(self, frame: Any) -> str | None:
        session = self._started()
        if self._ended or session.closed:
            return None
        if frame.num_channels != 1:
            raise ArgumentError(f"num_channels: telephony audio is mono, got {frame.num_channels}")
        if self._reply is None:
            quiet = not session.pending_utterances
            self._replies += 1
            self._reply = f"reply-{self._replies}"
            session.begin_utterance(self._reply)
            if quiet:
                self._tell(ReplyStarted())
        session.play(frame.audio, frame.sample_rate)
        return self._next()

    def _end_reply(self) -> str | None:
        session = self._started()
        if self._ended or session.closed:
            return None
        reply, self._reply = self._reply, None
        if reply is not None:
            session.end_utterance(reply)
        return self._next()

    def _clear(self) -> str | None:
        session = self._started()
        if not session.pending_utterances and not self._waiting:
            return None  # all audio sent was confirmed played: nothing to clear
        self._reply = None
        self._waiting.clear()  # never sent: the clear drops it as the platform drops its queue
        for event in session.clear():
            if type(event) is UtteranceResolved:
                self._resolved(event)
        return self._next()

    def _end(self) -> str | None:
        """The stream's last message (``stop``; Twilio none): the transport closes after it,
        so what still waits is dropped. ``hang_up()`` runs after it, as a task."""
        if self._ended:
            return None
        self._ended = True
        self._reply = None
        session = self._started()
        self._waiting.clear()
        if session.has_data_to_send:
            session.data_to_send()
        for event in session.stop():
            if type(event) is UtteranceResolved:
                self._resolved(event)
        last = session.data_to_send() if session.has_data_to_send else []
        if self._auto_hang_up and self._hang_up is not None:
            self._hanging_up = asyncio.get_running_loop().create_task(_logged(self._hang_up))
        self._tell(Ended())
        return last[-1] if last else None

    def _resolved(self, event: UtteranceResolved) -> None:
        session = self._session
        quiet = session is None or not session.pending_utterances
        self._tell(ReplyResolved(event, quiet))

    def _next(self) -> str | None:
        """The next message to send: what the session built since, in order, one per call
        (pipecat sends one per frame); the listener hears when more wait."""
        waiting = self._waiting
        session = self._session
        if session is not None and session.has_data_to_send:
            waiting.extend(session.data_to_send())
        if not waiting:
            return None
        message = waiting.popleft()
        if waiting:
            self._tell(Drain())
        return message

    def _tell(self, note: Note) -> None:
        if self._listener is not None:
            self._listener(note)


async def _logged(hang_up: Callable[[], Awaitable[None]]) -> None:
    try:
        await hang_up()
    except Exception:
        logger.exception("hang_up() failed")


#: The digits pipecat's ``KeypadEntry`` has.
_KEYS = frozenset(entry.value for entry in KeypadEntry)
