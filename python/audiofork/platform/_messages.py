"""The platform's messages of one stream, in its dialect (newest documented form).

One object per stream holds what every message repeats (ids, format, extra headers); each
method builds one message given its ``sequenceNumber``. This is the only place that knows
the platform side's message shapes: :class:`VobizMessages` (Vobiz and Plivo) and
:class:`TwilioMessages`, made by :func:`messages_for`.
"""

from __future__ import annotations

import json

from audiofork import wire
from audiofork.codec import encode_payload
from audiofork.dialects import Dialect
from audiofork.formats import MediaFormat
from audiofork.platform._notices import Pcm, Track
from audiofork.platform._outbox import utf8_size

__all__ = ["PlivoMessages", "TwilioMessages", "VobizMessages", "messages_for"]

#: The largest ``sequenceNumber`` (64 bits): answer sizes are reckoned with it.
_MAX_SEQUENCE = 2**64 - 1


class VobizMessages:
    """Builds the ``start``, ``media``, ``playedStream``, ``clearedAudio``, ``dtmf`` and
    ``stop`` messages of stream ``stream_id``."""

    #: The dialect of the messages.
    dialect = Dialect.VOBIZ
    #: The ``sequenceNumber`` of the first message (Plivo's count from 1).
    first_sequence = 0

    def __init__(
        self,
        stream_id: str,
        media_format: MediaFormat,
        *,
        call_id: str,
        account_id: str | None,
        tracks: list[Track],
        extra_headers: dict[str, str],
    ) -> None:
        self.stream_id = stream_id
        self.media_format = media_format
        self.call_id = call_id
        self.account_id = account_id
        self.tracks = tracks
        self.extra_headers = json.dumps(extra_headers, separators=(",", ":"))

    def start(self, sequence: int) -> str:
        return wire.start(
            self.stream_id,
            self.media_format,
            call_id=self.call_id,
            account_id=self.account_id,
            tracks=self.tracks,
            sequence_number=sequence,
            extra_headers=self.extra_headers,
            dialect=self.dialect,
        )

    def media(self, sequence: int, track: Track, chunk: int, timestamp_ms: int, pcm: Pcm) -> str:
        return wire.media(
            self.stream_id,
            encode_payload(pcm, self.media_format),
            sequence_number=sequence,
            chunk=chunk,
            timestamp_ms=timestamp_ms,
            track=track,
            extra_headers=self.extra_headers,
            dialect=self.dialect,
        )

    def played_stream(self, sequence: int, name: str) -> str:
        return wire.played_stream(name, self.stream_id, sequence, dialect=self.dialect)

    def cleared_audio(self, sequence: int) -> str:
        return wire.cleared_audio(self.stream_id, sequence)

    def answer(self, sequence: int, name: str | None) -> str:
        """``playedStream`` for checkpoint ``name``, or ``clearedAudio`` for ``None``."""
        if name is None:
            return self.cleared_audio(sequence)
        return self.played_stream(sequence, name)

    def answer_size(self, name: str | None) -> int:
        """The most bytes :meth:`answer` can take for ``name``, whatever its number."""
        return utf8_size(self.answer(_MAX_SEQUENCE, name))

    def dtmf(self, sequence: int, digit: str, track: Track, timestamp_ms: int) -> str:
        return wire.dtmf(
            self.stream_id,
            digit,
            sequence_number=sequence,
            timestamp_ms=timestamp_ms,
            track=track,
            dialect=self.dialect,
        )

    def stop(self, sequence: int, reason: str) -> str:
        body = {"callId": self.call_id, "reason": reason}
        message = {"event": "stop", "sequenceNumber": sequence, "streamId": self.stream_id}
        return json.dumps({**message, "stop": body}, separators=(",", ":"))

    def opening(self) -> str | None:
        """A message before ``start``, unnumbered (Twilio's ``connected``)."""
        return None


class PlivoMessages(VobizMessages):
    """Plivo's: Vobiz's shapes, numbered from 1."""

    dialect = Dialect.PLIVO
    first_sequence = 1


class TwilioMessages(VobizMessages):
    """Twilio's: ``connected`` first, ``streamSid``, string counters, ``mark`` for a
    checkpoint's answer, no ``clearedAudio`` (a clear's answer is the echo of each pending
    ``mark``), and ``customParameters`` for the extra headers."""

    dialect = Dialect.TWILIO
    first_sequence = 1

    def opening(self) -> str:
        return wire.connected()

    def cleared_audio(self, sequence: int) -> str:
        raise ValueError("Twilio answers a clear with no message of its own")

    def stop(self, sequence: int, reason: str) -> str:
        body = {"accountSid": self.account_id or "", "callSid": self.call_id}
        message = {"event": "stop", "sequenceNumber": str(sequence), "streamSid": self.stream_id}
        return json.dumps({**message, "stop": body}, separators=(",", ":"))


_CLASSES: dict[Dialect, type[VobizMessages]] = {
    Dialect.VOBIZ: VobizMessages,
    Dialect.PLIVO: PlivoMessages,
    Dialect.TWILIO: TwilioMessages,
}


def messages_for(
    dialect: Dialect,
    stream_id: str,
    media_format: MediaFormat,
    *,
    call_id: str,
    account_id: str | None,
    tracks: list[Track],
    extra_headers: dict[str, str],
) -> VobizMessages:
    """The message builder of ``dialect`` for one stream."""
    return _CLASSES[dialect](
        stream_id,
        media_format,
        call_id=call_id,
        account_id=account_id,
        tracks=tracks,
        extra_headers=extra_headers,
    )
