"""The pipecat frames audiofork adds: the report of one reply heard, and the two in-band
markers :class:`~audiofork.integrations.pipecat.AudioforkPlayout` hands the output
transport for the serializer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipecat.frames.frames import (
    OutputTransportMessageFrame,
    OutputTransportMessageUrgentFrame,
    SystemFrame,
)


@dataclass
class UtteranceHeardFrame(SystemFrame):
    """One bot reply left the pending set: how much of it the caller heard.

    ``outcome`` is ``"played"`` (the platform confirmed its end), ``"cleared"`` (an
    interruption cleared it) or ``"closed"`` (the stream ended first); ``heard_ms`` is the
    audio of the reply the caller heard (all of it when played; the estimate at the clear
    otherwise), ``duration_ms`` the reply's length. ``utterance_id`` is ``"reply-<n>"``,
    counted from 1 per stream.
    """

    utterance_id: str
    outcome: str
    heard_ms: float
    duration_ms: float


@dataclass
class ReplyEndFrame(OutputTransportMessageFrame):
    """The end of a reply, queued after its audio so the serializer sees it in order:
    the serializer writes the checkpoint (Twilio: the mark) there."""

    message: Any = field(default_factory=dict)


@dataclass
class DrainFrame(OutputTransportMessageUrgentFrame):
    """Asks the serializer for its next waiting message: written at once, so a frame that
    made more than one wire message does not hold the rest back."""

    message: Any = field(default_factory=dict)
