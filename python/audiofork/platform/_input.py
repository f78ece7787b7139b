"""The app's messages as the platform accepts them: each is read into a command, or refused
with a machine-readable kind (listed in :mod:`audiofork.platform`).

Reading changes no state (a ``playAudio`` is decoded here, before anything is queued), so a
refused message leaves no trace. The refusals that depend on the stream's state
(``checkpoint_limit``, ``answer_limit``) are the stream's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from audiofork import wire
from audiofork.codec import decode_payload
from audiofork.dialects import Dialect
from audiofork.errors import AudioforkError
from audiofork.events import (
    APP_COMMANDS,
    Checkpoint,
    ClearAudio,
    PlayAudio,
    SendDtmf,
    Stop,
    UnknownEvent,
)
from audiofork.formats import MediaFormat
from audiofork.platform._notices import Pcm

__all__ = ["AudioCommand", "Command", "Refusal", "read_app_message", "shorten"]

#: The longest ``detail`` of a refusal (characters).
MAX_DETAIL_CHARS = 300


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an app message was refused."""

    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class AudioCommand:
    """A ``playAudio``, decoded: int16 samples at ``media_format.sample_rate``."""

    pcm: Pcm
    media_format: MediaFormat


Command: TypeAlias = AudioCommand | Checkpoint | ClearAudio | Stop


def shorten(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def _refused(exc: AudioforkError) -> Refusal:
    return Refusal(exc.kind, shorten(str(exc)))


def read_app_message(
    message: str | bytes | bytearray | memoryview,
    *,
    max_bytes: int,
    bidirectional: bool,
    dialect: Dialect = Dialect.VOBIZ,
) -> Command | Refusal:
    """``message`` (a WebSocket frame's data) as a command, or why it is refused; a message
    of another dialect is refused as ``wrong_dialect``."""
    if isinstance(message, (bytes, bytearray, memoryview)):
        return Refusal("binary", f"binary WebSocket frame ({memoryview(message).nbytes} bytes)")
    if not isinstance(message, str):
        raise TypeError(f"message must be str or bytes, got {type(message).__name__}")
    try:
        event = wire.parse_message(message, max_size=max_bytes, dialect=dialect, sender="app")
    except AudioforkError as exc:
        return _refused(exc)
    if isinstance(event, Stop):
        return event
    if not isinstance(event, APP_COMMANDS):
        what = event.event if isinstance(event, UnknownEvent) else type(event).__name__
        return Refusal(
            "unexpected_event", f"unexpected message from the app: {shorten(what, 80)!r}"
        )
    if not bidirectional:
        return Refusal("not_bidirectional", f"{type(event).__name__} on a one-way stream")
    if isinstance(event, SendDtmf):
        return Refusal("unsupported", "sendDTMF: playing digits into the call is not emulated")
    if isinstance(event, PlayAudio):
        try:
            pcm = decode_payload(event.payload, event.media_format)
        except AudioforkError as exc:
            return _refused(exc)
        return AudioCommand(pcm, event.media_format)
    return event
