"""The audiofork exception family.

Every error the library raises on purpose derives from :class:`AudioforkError`; each also
derives from the built-in it refines (``ValueError``, ``RuntimeError``) so existing
``except ValueError`` handlers keep working. Messages name the field and the bad value.
The Rust core raises these same classes.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "ArgumentError",
    "AudioforkError",
    "BufferOverflowError",
    "CodecError",
    "ConcurrentUseError",
    "FormatError",
    "ProtocolError",
    "SignatureError",
    "StreamStateError",
    "ValidationError",
]


class AudioforkError(Exception):
    """Base class of every error audiofork raises on purpose."""


class CodecError(AudioforkError, ValueError):
    """Bytes that are not valid audio of the declared encoding (odd L16 length, bad base64)."""


class FormatError(AudioforkError, ValueError):
    """An unsupported encoding, sample rate or byte order."""


class ProtocolError(AudioforkError, ValueError):
    """A malformed or oversized stream message; the message names the event and field."""


class ArgumentError(AudioforkError, ValueError):
    """An argument outside its documented range (a negative size, a frame longer than
    allowed); the message names the parameter and the range."""


class StreamStateError(AudioforkError, RuntimeError):
    """An operation that the stream's current state does not allow."""


class ConcurrentUseError(AudioforkError, RuntimeError):
    """A decoder, encoder or resampler called from a second thread while a call on it is under
    way: they hold one stream's state and are not shareable between threads; use one per
    stream."""


class ValidationError(AudioforkError, ValueError):
    """An invalid ``<Stream>`` attribute or REST parameter."""


class BufferOverflowError(AudioforkError, BufferError):
    """A write that does not fit a ring buffer whose overflow policy is ``"reject"``."""


class ApiError(AudioforkError):
    """A failed Vobiz REST API call.

    Attributes:
        status: the HTTP status code (0 when no response arrived).
        api_id: the ``api_id`` of the error response, if any.
        message: the platform's human-readable error, or a description of the failure.
    """

    def __init__(self, status: int, message: str, api_id: str | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.api_id = api_id
        self.message = message


class SignatureError(AudioforkError):
    """A status callback whose signature does not verify, or a replayed nonce."""
