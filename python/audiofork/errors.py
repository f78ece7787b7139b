"""The audiofork exception family.

Every error the library raises on purpose derives from :class:`AudioforkError`; each also
derives from the built-in it refines (``ValueError``, ``RuntimeError``) so existing
``except ValueError`` handlers keep working. Messages name the field and the bad value.
The Rust core raises these same classes.

Each error also says what was wrong in machine-readable form, as :attr:`AudioforkError.kind`
(one of :data:`ErrorKind`), independent of its class: a payload that is not base64 is a
``CodecError`` from :func:`audiofork.decode_payload` and a ``ProtocolError`` inside a message,
and ``kind == "bad_base64"`` for both. The core sets the kind of every error it raises.
Python code sets it with ``kind=``; without one an error takes its class's default:
``"wrong_state"`` for :class:`StreamStateError` and :class:`ConcurrentUseError`,
``"overflow"`` for :class:`BufferOverflowError`, ``"request_failed"`` for :class:`ApiError`
and ``"bad_value"`` for every other class.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

__all__ = [
    "ApiError",
    "ArgumentError",
    "AudioforkError",
    "BufferOverflowError",
    "CodecError",
    "ConcurrentUseError",
    "CoreErrorKind",
    "ErrorKind",
    "FormatError",
    "ProtocolError",
    "SignatureError",
    "StreamStateError",
    "ValidationError",
]

#: What the Rust core reports (``audiofork._core.ERROR_KINDS``, in the same order):
#:
#: - ``bad_json``: text that is not JSON.
#: - ``too_deep``: JSON nested deeper than the parser's limit (128 levels).
#: - ``field_missing``: a required field, or a message's ``event``, that is absent.
#: - ``wrong_type``: a value of the wrong JSON type (a number where a string belongs).
#: - ``bad_utf8``: text that is not valid UTF-8 (bytes, or a ``str`` with a lone surrogate).
#: - ``bad_base64``: text that is not valid base64.
#: - ``odd_length``: L16 bytes of odd length.
#: - ``bad_encoding``: an encoding or content type that is not understood, or one a
#:   ``playAudio`` message cannot carry.
#: - ``bad_rate``: a sample rate that is not supported or allowed there, is not a positive
#:   integer in a content type, or disagrees with another statement of it.
#: - ``out_of_range``: a number outside its documented range.
#: - ``too_large``: more than a documented size limit or memory allows.
#: - ``bad_value``: a value of the right type that is not accepted (not one of a closed set
#:   of names, not a whole number of samples).
#: - ``overflow``: a write that does not fit a bounded buffer.
#: - ``wrong_state``: a call the object's current state does not allow (an object in use by
#:   another thread).
#: - ``wrong_dialect``: a message of another platform's dialect than the stream's (a Twilio
#:   ``mark`` on a Vobiz stream).
CoreErrorKind: TypeAlias = Literal[
    "bad_json",
    "too_deep",
    "field_missing",
    "wrong_type",
    "bad_utf8",
    "bad_base64",
    "odd_length",
    "bad_encoding",
    "bad_rate",
    "out_of_range",
    "too_large",
    "bad_value",
    "overflow",
    "wrong_state",
    "wrong_dialect",
]

#: Every value of :attr:`AudioforkError.kind`: the core's kinds, and ``request_failed`` for a
#: REST request that failed (an error status or no response).
ErrorKind: TypeAlias = Literal[CoreErrorKind, "request_failed"]

_KINDS: frozenset[str] = frozenset(get_args(ErrorKind))


class AudioforkError(Exception):
    """Base class of every error audiofork raises on purpose.

    ``AudioforkError(message, kind=...)``: ``kind`` (one of :data:`ErrorKind`) says what was
    wrong; without it the class's default applies (see the module docs).

    Attributes:
        kind: what was wrong, in machine-readable form.
    """

    kind: ErrorKind = "bad_value"

    def __init__(self, *args: object, kind: ErrorKind | None = None) -> None:
        super().__init__(*args)
        if kind is not None:
            if kind not in _KINDS:
                raise ValueError(
                    f"kind: {kind!r} is not an error kind; expected one of {sorted(_KINDS)}"
                )
            self.kind = kind


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

    kind: ErrorKind = "wrong_state"


class ConcurrentUseError(AudioforkError, RuntimeError):
    """A decoder, encoder or resampler called from a second thread while a call on it is under
    way: they hold one stream's state and are not shareable between threads; use one per
    stream."""

    kind: ErrorKind = "wrong_state"


class ValidationError(AudioforkError, ValueError):
    """An invalid ``<Stream>`` attribute or REST parameter."""


class BufferOverflowError(AudioforkError, BufferError):
    """A write that does not fit a ring buffer whose overflow policy is ``"reject"``."""

    kind: ErrorKind = "overflow"


class ApiError(AudioforkError):
    """A failed Vobiz REST API call.

    Attributes:
        status: the HTTP status code (0 when no response arrived).
        api_id: the ``api_id`` of the error response, if any.
        message: the platform's human-readable error, or a description of the failure.
        kind: ``"request_failed"`` unless the raiser says more (``kind="bad_json"`` for a
            response that is not JSON, say).
    """

    kind: ErrorKind = "request_failed"

    def __init__(
        self,
        status: int,
        message: str,
        api_id: str | None = None,
        *,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message, kind=kind)
        self.status = status
        self.api_id = api_id
        self.message = message


class SignatureError(AudioforkError):
    """A status callback whose signature does not verify, or a replayed nonce."""
